/*
 * Counters, named as Linux names them in /proc/net/snmp and /proc/net/netstat,
 * and printed as `nstat` prints them ("TcpActiveOpens", "TcpExtListenDrops").
 *
 * The enum names follow the kernel's (TCP_MIB_ACTIVEOPENS, LINUX_MIB_LISTENDROPS)
 * so a reader can grep the same name in both trees. The order is nstat's.
 * Incrementing is an array add: UST_INC_STATS(core, LINUX_MIB_LISTENDROPS).
 */
#ifndef UST_CORE_SNMP_H
#define UST_CORE_SNMP_H

#include <stdint.h>
#include <stdio.h>

#define UST_MIB_LIST(X) \
	X(IPSTATS_MIB_INRECEIVES,        "IpInReceives") \
	X(IPSTATS_MIB_INHDRERRORS,       "IpInHdrErrors") \
	X(IPSTATS_MIB_INADDRERRORS,      "IpInAddrErrors") \
	X(IPSTATS_MIB_INUNKNOWNPROTOS,   "IpInUnknownProtos") \
	X(IPSTATS_MIB_INDISCARDS,        "IpInDiscards") \
	X(IPSTATS_MIB_INDELIVERS,        "IpInDelivers") \
	X(IPSTATS_MIB_OUTREQUESTS,       "IpOutRequests") \
	X(IPSTATS_MIB_OUTDISCARDS,       "IpOutDiscards") \
	X(IPSTATS_MIB_OUTNOROUTES,       "IpOutNoRoutes") \
	X(IPSTATS_MIB_REASMREQDS,        "IpReasmReqds") \
	X(IPSTATS_MIB_REASMFAILS,        "IpReasmFails") \
	X(IPSTATS_MIB_FRAGFAILS,         "IpFragFails") \
	X(IPSTATS_MIB_OUTPKTS,           "IpOutTransmits") \
	X(ICMP_MIB_INMSGS,               "IcmpInMsgs") \
	X(ICMP_MIB_INERRORS,             "IcmpInErrors") \
	X(ICMP_MIB_CSUMERRORS,           "IcmpInCsumErrors") \
	X(ICMP_MIB_INDESTUNREACHS,       "IcmpInDestUnreachs") \
	X(ICMP_MIB_INTIMEEXCDS,          "IcmpInTimeExcds") \
	X(ICMP_MIB_INPARMPROBS,          "IcmpInParmProbs") \
	X(ICMP_MIB_INECHOS,              "IcmpInEchos") \
	X(ICMP_MIB_INECHOREPS,           "IcmpInEchoReps") \
	X(ICMP_MIB_OUTMSGS,              "IcmpOutMsgs") \
	X(ICMP_MIB_OUTERRORS,            "IcmpOutErrors") \
	X(ICMP_MIB_RATELIMITGLOBAL,      "IcmpOutRateLimitGlobal") \
	X(ICMP_MIB_RATELIMITHOST,        "IcmpOutRateLimitHost") \
	X(ICMP_MIB_OUTDESTUNREACHS,      "IcmpOutDestUnreachs") \
	X(ICMP_MIB_OUTECHOS,             "IcmpOutEchos") \
	X(ICMP_MIB_OUTECHOREPS,          "IcmpOutEchoReps") \
	X(TCP_MIB_ACTIVEOPENS,           "TcpActiveOpens") \
	X(TCP_MIB_PASSIVEOPENS,          "TcpPassiveOpens") \
	X(TCP_MIB_ATTEMPTFAILS,          "TcpAttemptFails") \
	X(TCP_MIB_ESTABRESETS,           "TcpEstabResets") \
	X(TCP_MIB_CURRESTAB,             "TcpCurrEstab") \
	X(TCP_MIB_INSEGS,                "TcpInSegs") \
	X(TCP_MIB_OUTSEGS,               "TcpOutSegs") \
	X(TCP_MIB_RETRANSSEGS,           "TcpRetransSegs") \
	X(TCP_MIB_INERRS,                "TcpInErrs") \
	X(TCP_MIB_OUTRSTS,               "TcpOutRsts") \
	X(TCP_MIB_CSUMERRORS,            "TcpInCsumErrors") \
	X(LINUX_MIB_SYNCOOKIESSENT,      "TcpExtSyncookiesSent") \
	X(LINUX_MIB_SYNCOOKIESRECV,      "TcpExtSyncookiesRecv") \
	X(LINUX_MIB_SYNCOOKIESFAILED,    "TcpExtSyncookiesFailed") \
	X(LINUX_MIB_EMBRYONICRSTS,       "TcpExtEmbryonicRsts") \
	X(LINUX_MIB_PRUNECALLED,        "TcpExtPruneCalled") \
	X(LINUX_MIB_RCVPRUNED,          "TcpExtRcvPruned") \
	X(LINUX_MIB_OFOPRUNED,          "TcpExtOfoPruned") \
	X(LINUX_MIB_OUTOFWINDOWICMPS,    "TcpExtOutOfWindowIcmps") \
	X(LINUX_MIB_TIMEWAITED,          "TcpExtTW") \
	X(LINUX_MIB_TIMEWAITRECYCLED,    "TcpExtTWRecycled") \
	X(LINUX_MIB_TIMEWAITKILLED,      "TcpExtTWKilled") \
	X(LINUX_MIB_PAWSACTIVEREJECTED,  "TcpExtPAWSActive") \
	X(LINUX_MIB_PAWSESTABREJECTED,   "TcpExtPAWSEstab") \
	X(LINUX_MIB_PAWS_TW_REJECTED,    "TcpExtPAWSTimewait") \
	X(LINUX_MIB_DELAYEDACKS,         "TcpExtDelayedACKs") \
	X(LINUX_MIB_DELAYEDACKLOST,      "TcpExtDelayedACKLost") \
	X(LINUX_MIB_LISTENOVERFLOWS,     "TcpExtListenOverflows") \
	X(LINUX_MIB_LISTENDROPS,         "TcpExtListenDrops") \
	X(LINUX_MIB_TCPPUREACKS,         "TcpExtTCPPureAcks") \
	X(LINUX_MIB_TCPDSACKOLDSENT,     "TcpExtTCPDSACKOldSent") \
	X(LINUX_MIB_TCPDSACKOFOSENT,     "TcpExtTCPDSACKOfoSent") \
	X(LINUX_MIB_TCPRENORECOVERY,     "TcpExtTCPRenoRecovery") \
	X(LINUX_MIB_TCPSACKRECOVERY,     "TcpExtTCPSackRecovery") \
	X(LINUX_MIB_TCPLOSTRETRANSMIT,   "TcpExtTCPLostRetransmit") \
	X(LINUX_MIB_TCPRENOFAILURES,     "TcpExtTCPRenoFailures") \
	X(LINUX_MIB_TCPSACKFAILURES,     "TcpExtTCPSackFailures") \
	X(LINUX_MIB_TCPLOSSFAILURES,     "TcpExtTCPLossFailures") \
	X(LINUX_MIB_TCPFASTRETRANS,      "TcpExtTCPFastRetrans") \
	X(LINUX_MIB_TCPSLOWSTARTRETRANS, "TcpExtTCPSlowStartRetrans") \
	X(LINUX_MIB_TCPTIMEOUTS,         "TcpExtTCPTimeouts") \
	X(LINUX_MIB_TCPRENORECOVERYFAIL, "TcpExtTCPRenoRecoveryFail") \
	X(LINUX_MIB_TCPSACKRECOVERYFAIL, "TcpExtTCPSackRecoveryFail") \
	X(LINUX_MIB_TCPDSACKRECV,        "TcpExtTCPDSACKRecv") \
	X(LINUX_MIB_TCPABORTONDATA,      "TcpExtTCPAbortOnData") \
	X(LINUX_MIB_TCPABORTONCLOSE,     "TcpExtTCPAbortOnClose") \
	X(LINUX_MIB_TCPABORTONTIMEOUT,   "TcpExtTCPAbortOnTimeout") \
	X(LINUX_MIB_TCPABORTONLINGER,    "TcpExtTCPAbortOnLinger") \
	X(LINUX_MIB_TCPTIMEWAITOVERFLOW, "TcpExtTCPTimeWaitOverflow") \
	X(LINUX_MIB_TCPBACKLOGDROP,      "TcpExtTCPBacklogDrop") \
	X(LINUX_MIB_TCPDEFERACCEPTDROP,  "TcpExtTCPDeferAcceptDrop") \
	X(LINUX_MIB_TCPREQQFULLDOCOOKIES, "TcpExtTCPReqQFullDoCookies") \
	X(LINUX_MIB_TCPREQQFULLDROP,     "TcpExtTCPReqQFullDrop") \
	X(LINUX_MIB_TCPOFOQUEUE,         "TcpExtTCPOFOQueue") \
	X(LINUX_MIB_TCPOFODROP,          "TcpExtTCPOFODrop") \
	X(LINUX_MIB_TCPOFOMERGE,         "TcpExtTCPOFOMerge") \
	X(LINUX_MIB_TCPCHALLENGEACK,     "TcpExtTCPChallengeACK") \
	X(LINUX_MIB_TCPSYNCHALLENGE,     "TcpExtTCPSYNChallenge") \
	X(LINUX_MIB_TCPSYNRETRANS,       "TcpExtTCPSynRetrans") \
	X(LINUX_MIB_TCPACKSKIPPEDSYNRECV, "TcpExtTCPACKSkippedSynRecv") \
	X(LINUX_MIB_TCPACKSKIPPEDPAWS,   "TcpExtTCPACKSkippedPAWS") \
	X(LINUX_MIB_TCPACKSKIPPEDSEQ,    "TcpExtTCPACKSkippedSeq") \
	X(LINUX_MIB_TCPACKSKIPPEDFINWAIT2, "TcpExtTCPACKSkippedFinWait2") \
	X(LINUX_MIB_TCPACKSKIPPEDTIMEWAIT, "TcpExtTCPACKSkippedTimeWait") \
	X(LINUX_MIB_TCPACKSKIPPEDCHALLENGE, "TcpExtTCPACKSkippedChallenge") \
	X(LINUX_MIB_TCPKEEPALIVE,        "TcpExtTCPKeepAlive") \
	X(LINUX_MIB_TCPRCVQDROP,         "TcpExtTCPRcvQDrop") \
	X(LINUX_MIB_TCPWANTZEROWINDOWADV, "TcpExtTCPWantZeroWindowAdv") \
	X(LINUX_MIB_TCPTOZEROWINDOWADV,  "TcpExtTCPToZeroWindowAdv") \
	X(LINUX_MIB_TCPFROMZEROWINDOWADV, "TcpExtTCPFromZeroWindowAdv") \
	X(LINUX_MIB_TCPZEROWINDOWDROP,   "TcpExtTCPZeroWindowDrop") \
	X(LINUX_MIB_TCPWINPROBE,         "TcpExtTCPWinProbe") \
	X(LINUX_MIB_TCPMIGRATEREQSUCCESS, "TcpExtTCPMigrateReqSuccess") \
	X(LINUX_MIB_TCPMIGRATEREQFAILURE, "TcpExtTCPMigrateReqFailure") \
	X(IPSTATS_MIB_INNOROUTES,        "IpExtInNoRoutes") \
	X(IPSTATS_MIB_INTRUNCATEDPKTS,   "IpExtInTruncatedPkts") \
	X(IPSTATS_MIB_INBCASTPKTS,       "IpExtInBcastPkts") \
	X(IPSTATS_MIB_INOCTETS,          "IpExtInOctets") \
	X(IPSTATS_MIB_OUTOCTETS,         "IpExtOutOctets") \
	X(IPSTATS_MIB_INBCASTOCTETS,     "IpExtInBcastOctets") \
	X(IPSTATS_MIB_CSUMERRORS,        "IpExtInCsumErrors") \
	X(IPSTATS_MIB_NOECTPKTS,         "IpExtInNoECTPkts") \
	X(IPSTATS_MIB_ECT1PKTS,          "IpExtInECT1Pkts") \
	X(IPSTATS_MIB_ECT0PKTS,          "IpExtInECT0Pkts") \
	X(IPSTATS_MIB_CEPKTS,            "IpExtInCEPkts")

enum ust_mib_field {
#define UST_MIB_ENUM(id, name) id,
	UST_MIB_LIST(UST_MIB_ENUM)
#undef UST_MIB_ENUM
	UST_MIB_MAX
};

struct ust_mib {
	uint64_t v[UST_MIB_MAX];
};

#define UST_INC_STATS(core, f) ((core)->mib.v[(f)]++)
#define UST_ADD_STATS(core, f, n) ((core)->mib.v[(f)] += (n))

/* The nstat name of a field, or NULL when out of range. */
const char *ust_mib_name(enum ust_mib_field f);
/* The field with nstat name `name`, or -1. */
int ust_mib_lookup(const char *name);
/* Writes "#kernel" and one line per counter in nstat's layout. Zero counters are
 * skipped unless `zeros` (nstat -a vs -az). Returns lines written or -errno. */
int ust_mib_dump(const struct ust_mib *mib, FILE *f, int zeros);

#endif
