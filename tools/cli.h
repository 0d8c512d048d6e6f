/* The ustack command: one file per subcommand, each an entry in cli.c's table. */
#ifndef UST_TOOLS_CLI_H
#define UST_TOOLS_CLI_H

/* Exit codes every subcommand uses. */
enum {
	UST_EXIT_OK = 0,
	UST_EXIT_FAIL = 1,      /* the command ran and what it checked failed */
	UST_EXIT_USAGE = 2,     /* bad arguments */
	UST_EXIT_SETUP = 3,     /* could not set up (device, permission, file) */
};

struct ust_cli_cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
	void (*usage)(void);
};

int ust_cmd_connect(int argc, char **argv);
void ust_cmd_connect_usage(void);
int ust_cmd_demo(int argc, char **argv);
void ust_cmd_demo_usage(void);
int ust_cmd_script(int argc, char **argv);
void ust_cmd_script_usage(void);
int ust_cmd_serve(int argc, char **argv);
void ust_cmd_serve_usage(void);
int ust_cmd_stat(int argc, char **argv);
void ust_cmd_stat_usage(void);

/* netsetup.c: shared by serve and connect. */
struct ust_stack;
struct ust_netdev;
struct ust_tool_device {
	const char *ifname;
	int tun;                 /* 1: TUN (bare IPv4), 0: TAP (Ethernet) */
	const char *addr_text;   /* as given, for messages */
	unsigned int addr;       /* in_addr_t, network order */
	int prefixlen;
	const char *pcap;        /* NULL: no capture */
	int trace;               /* print trace events on stderr */
};
/* Trace, device, capture, address; one line on stderr and -1 on failure. */
int ust_tool_open_device(const char *cmd, struct ust_stack *st, const struct ust_tool_device *d,
			 struct ust_netdev **dev);
double ust_tool_now_s(void);
/* Every trace event of st, one line each on stderr. */
void ust_tool_trace_stderr(struct ust_stack *st);
/* SIGINT and SIGTERM (and SIGUSR1) blocked and readable from the fd returned. */
int ust_tool_signals_fd(int with_usr1);

#endif
