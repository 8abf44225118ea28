/*
 * bitcoind-sim: a stand-in for a FIBRE bitcoind. It fires FIBRE's udp:* probes and Bitcoin Core's
 * tracepoints with the argument types of the release it is built as, and carries that release's
 * .rodata markers, so a tracer tells it from its notes and strings as it would the real binary.
 *
 * -DSIM_RELEASE=N (23..31, default 30) picks the Bitcoin Core release line:
 *   - probes: net:in/outbound_message, validation:block_connected, utxocache:* in all;
 *     coin_selection:* from 24 (unless -DNO_WALLET); mempool:* from 25; net:*_connection and
 *     net:misbehaving_connection from 29. An absent probe has no note at all.
 *   - semaphores from 29: each probe is guarded by one in section .probes, as bitcoind's
 *     TRACEPOINT_SEMAPHORE does, so it fires only while a tracer has enabled it (a test that forgets
 *     to enable one sees nothing, as on a real node). Before 29, as TRACEn was, the notes' semaphore
 *     is 0 and every probe fires on every pass, attached or not: -S makes such a build wait for
 *     SIGUSR2 (sent once the tracer is attached) before its first block.
 *   - arguments: validation:block_connected's connect time is int64 microseconds up to 24, a uint64
 *     (std::chrono::steady_clock::duration) of nanoseconds 25-28, int64 nanoseconds from 29; mempool
 *     vsizes are uint64 (size_t) in 25, int32 later; mempool:replaced has 7 arguments up to 28, 8 from
 *     29; utxocache:flush's mode reaches 4 (FORCE_SYNC) and "private-broadcast" becomes an outbound
 *     connection type in 31; coin_selection's change position on failure is 0 up to 26, -1 later,
 *     and its "cg" algorithm exists from 27.
 * -DNO_UDP_PROBES builds a binary like bitcoind from the fork's public tree: no udp:* probes.
 * -DWIDE_RECONSTRUCTED_HEIGHT passes udp:block_reconstructed's height as 8 bytes.
 *
 * Each event actually fired is written to stdout as one JSON line (strings hex-encoded, since the
 * hostile ones are not valid UTF-8), so tests compute the metric values they expect from it. A JSON
 * number is exact only up to 2^53, so the 64-bit values that can pass it are strings: mempool:replaced's
 * fees and entry time, coin_selection:selected_coins' waste, and validation:block_connected's
 * connect_time in releases 25-28 (unsigned there: -e's -1 ns is 2^64 - 1). The default build (30,
 * with udp probes and the wallet) fires for a seed exactly the values it always did: every generator
 * added since (the wallet's) draws from a state of its own.
 */
#ifndef SIM_RELEASE
#define SIM_RELEASE 30
#endif
#if SIM_RELEASE < 23 || SIM_RELEASE > 31
#error "SIM_RELEASE must be a Bitcoin Core release line from 23 to 31"
#endif
#define HAVE_SEMAPHORES (SIM_RELEASE >= 29)
#define HAVE_MEMPOOL_PROBES (SIM_RELEASE >= 25)
#define HAVE_CONNECTION_PROBES (SIM_RELEASE >= 29)
#if SIM_RELEASE >= 24 && !defined(NO_WALLET)
#define HAVE_WALLET 1
#else
#define HAVE_WALLET 0
#endif

#if HAVE_SEMAPHORES
#define _SDT_HAS_SEMAPHORES 1
#endif
#include <sys/sdt.h>

#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if HAVE_SEMAPHORES
#define SEMAPHORE(ctx, ev) unsigned short ctx##_##ev##_semaphore __attribute__((section(".probes")))
#define ACTIVE(ctx, ev) (ctx##_##ev##_semaphore > 0)
#else
/* TRACEn before v29: nothing to ask, the probe site is always passed. */
#define ACTIVE(ctx, ev) 1
#endif
#ifdef NO_UDP_PROBES
#define UDP_ACTIVE(ev) 0
#else
#define UDP_ACTIVE(ev) ACTIVE(udp, ev)
#endif
#if HAVE_WALLET
#define WALLET_ACTIVE()                                                                                       \
  (ACTIVE(coin_selection, selected_coins) || ACTIVE(coin_selection, normal_create_tx_internal) ||             \
   ACTIVE(coin_selection, attempting_aps_create_tx) || ACTIVE(coin_selection, aps_create_tx_internal))
#else
#define WALLET_ACTIVE() 0
#endif

#if HAVE_SEMAPHORES
SEMAPHORE(udp, block_reconstructed);
SEMAPHORE(udp, block_reconstruction_detail);
SEMAPHORE(udp, block_send_start);
SEMAPHORE(udp, block_race_winner);
SEMAPHORE(udp, block_race_time);
SEMAPHORE(validation, block_connected);
/* Bitcoin Core's probe with the most arguments (8): bpftrace 0.17 reads only the first 6 by argN, so
 * the agent reads it from the locations in the note. Not counted by -k: -R waits for it. */
SEMAPHORE(mempool, replaced);
/* Bitcoin Core's other tracepoints, with its argument types: the agent's packs attach them. */
SEMAPHORE(net, inbound_message);
SEMAPHORE(net, outbound_message);
SEMAPHORE(net, inbound_connection);
SEMAPHORE(net, outbound_connection);
SEMAPHORE(net, evicted_inbound_connection);
SEMAPHORE(net, closed_connection);
SEMAPHORE(net, misbehaving_connection);
SEMAPHORE(mempool, added);
SEMAPHORE(mempool, removed);
SEMAPHORE(mempool, rejected);
SEMAPHORE(utxocache, flush);
SEMAPHORE(utxocache, add);
SEMAPHORE(utxocache, spent);
SEMAPHORE(utxocache, uncache);
#if HAVE_WALLET
SEMAPHORE(coin_selection, selected_coins);
SEMAPHORE(coin_selection, normal_create_tx_internal);
SEMAPHORE(coin_selection, attempting_aps_create_tx);
SEMAPHORE(coin_selection, aps_create_tx_internal);
#endif
#endif

/*
 * Strings that stay whole (NUL on both sides) in a release's .rodata and tell apart releases whose
 * tracepoints look the same: option names, the version banner, FlushStateMode's names. The leading
 * "\0" makes the byte before each one a NUL wherever the linker puts it. No other string of this
 * file may contain them whole.
 */
#define MARKER(id, text) __attribute__((used)) static const char marker_##id[] = "\0" text
#if SIM_RELEASE <= 26
MARKER(rpcserialversion, "-rpcserialversion");
#endif
#if SIM_RELEASE >= 24 && SIM_RELEASE <= 28
MARKER(mempoolfullrbf, "-mempoolfullrbf");
#endif
#if SIM_RELEASE >= 27
MARKER(persistmempoolv1, "-persistmempoolv1");
#endif
#if SIM_RELEASE >= 28
MARKER(testnet4, "-testnet4");
MARKER(blocksxor, "-blocksxor");
#endif
#if SIM_RELEASE >= 29
MARKER(banner, "Bitcoin Core daemon version ");
#else
MARKER(banner, "Bitcoin Core version ");
#endif
#if SIM_RELEASE >= 30
MARKER(if_needed, "IF_NEEDED");
#endif
#if SIM_RELEASE >= 31
MARKER(force_sync, "FORCE_SYNC");
MARKER(force_flush, "FORCE_FLUSH");
#endif

static volatile sig_atomic_t stop_requested = 0;
static volatile sig_atomic_t report_requested = 0;
static volatile sig_atomic_t go_requested = 0;
static void on_stop(int sig) { (void)sig; stop_requested = 1; }
static void on_report(int sig) { (void)sig; report_requested = 1; }
static void on_go(int sig) { (void)sig; go_requested = 1; }

static uint64_t rng = 88172645463325252ULL;
static uint64_t xorshift(uint64_t *state) {
  *state ^= *state << 13;
  *state ^= *state >> 7;
  *state ^= *state << 17;
  return *state;
}
static uint64_t rnd(void) { return xorshift(&rng); }
static double unit(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }
/* Log-uniform: block timings and sizes spread over orders of magnitude. */
static double logu(double lo, double hi) { return lo * pow(hi / lo, unit()); }

static const char *normal_peers[] = {
    "203.0.113.1:8333", "198.51.100.14:8333", "192.0.2.20:8333", "[2001:db8::17]:8333",
    "vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion:8333",
};
/* Strings a tracer must carry through untouched: separators, quotes, escapes, invalid UTF-8,
 * the longest string the probes read (127 bytes) and the empty string. */
static const char *hostile_peers[] = {
    "peer with spaces 1.2.3.4:8333",
    "tab\there\tand\rcr",
    "quote\"q'uote`",
    "new\nline",
    "back\\x41slash\\",
    "b\xc3\xbc" "cher.example:8333",
    "back\\slash:8333",
    "\xff\xfe non-utf8 \xc3\x28 \x01\x7f",
    "%s%d%n %x{}[]",
    "<img src=x onerror=alert(1)>:8333",
    "vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion:8333",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
    "",
};
static const char *other_winners[] = {"BIP152/BLOCKTXN", "P2P/BLOCK"};

static void put_hex(const char *key, const unsigned char *s, size_t n) {
  printf(",\"%s\":\"", key);
  for (size_t i = 0; i < n; i++) printf("%02x", s[i]);
  printf("\"");
}
static void put_str(const char *key, const char *s) { put_hex(key, (const unsigned char *)s, strlen(s)); }

/* {"semaphores":{probe:value,...}}; {"semaphores":null} on a build without semaphores (before 29),
 * whose probes need none. */
static void report_semaphores(void) {
#if HAVE_SEMAPHORES
  printf("{\"semaphores\":{\"udp:block_reconstructed\":%u,\"udp:block_reconstruction_detail\":%u,"
         "\"udp:block_send_start\":%u,\"udp:block_race_winner\":%u,\"udp:block_race_time\":%u,"
         "\"validation:block_connected\":%u,\"mempool:replaced\":%u,"
         "\"net:inbound_message\":%u,\"net:outbound_message\":%u,\"net:inbound_connection\":%u,"
         "\"net:outbound_connection\":%u,\"net:evicted_inbound_connection\":%u,\"net:closed_connection\":%u,"
         "\"net:misbehaving_connection\":%u,\"mempool:added\":%u,\"mempool:removed\":%u,"
         "\"mempool:rejected\":%u,\"utxocache:flush\":%u,\"utxocache:add\":%u,\"utxocache:spent\":%u,"
         "\"utxocache:uncache\":%u",
         udp_block_reconstructed_semaphore, udp_block_reconstruction_detail_semaphore,
         udp_block_send_start_semaphore, udp_block_race_winner_semaphore,
         udp_block_race_time_semaphore, validation_block_connected_semaphore, mempool_replaced_semaphore,
         net_inbound_message_semaphore, net_outbound_message_semaphore, net_inbound_connection_semaphore,
         net_outbound_connection_semaphore, net_evicted_inbound_connection_semaphore,
         net_closed_connection_semaphore, net_misbehaving_connection_semaphore, mempool_added_semaphore,
         mempool_removed_semaphore, mempool_rejected_semaphore, utxocache_flush_semaphore,
         utxocache_add_semaphore, utxocache_spent_semaphore, utxocache_uncache_semaphore);
#if HAVE_WALLET
  printf(",\"coin_selection:selected_coins\":%u,\"coin_selection:normal_create_tx_internal\":%u,"
         "\"coin_selection:attempting_aps_create_tx\":%u,\"coin_selection:aps_create_tx_internal\":%u",
         coin_selection_selected_coins_semaphore, coin_selection_normal_create_tx_internal_semaphore,
         coin_selection_attempting_aps_create_tx_semaphore, coin_selection_aps_create_tx_internal_semaphore);
#endif
  printf("}}\n");
#else
  printf("{\"semaphores\":null}\n");
#endif
  fflush(stdout);
}

#if HAVE_SEMAPHORES
/* How many probes a tracer has enabled, for -w and -k: every probe but mempool:replaced (-R). */
static int active_count(void) {
  return (udp_block_reconstructed_semaphore > 0) + (udp_block_reconstruction_detail_semaphore > 0) +
         (udp_block_send_start_semaphore > 0) + (udp_block_race_winner_semaphore > 0) +
         (udp_block_race_time_semaphore > 0) + (validation_block_connected_semaphore > 0) +
         (net_inbound_message_semaphore > 0) + (net_outbound_message_semaphore > 0) +
         (net_inbound_connection_semaphore > 0) + (net_outbound_connection_semaphore > 0) +
         (net_evicted_inbound_connection_semaphore > 0) + (net_closed_connection_semaphore > 0) +
         (net_misbehaving_connection_semaphore > 0) + (mempool_added_semaphore > 0) +
         (mempool_removed_semaphore > 0) + (mempool_rejected_semaphore > 0) + (utxocache_flush_semaphore > 0) +
         (utxocache_add_semaphore > 0) + (utxocache_spent_semaphore > 0) + (utxocache_uncache_semaphore > 0)
#if HAVE_WALLET
         + (coin_selection_selected_coins_semaphore > 0) + (coin_selection_normal_create_tx_internal_semaphore > 0) +
         (coin_selection_attempting_aps_create_tx_semaphore > 0) + (coin_selection_aps_create_tx_internal_semaphore > 0)
#endif
      ;
}
#endif

/* mempool:replaced and udp:block_reconstruction_detail draw from generators of their own, so enabling
 * them leaves every other probe's values as they were. */
static uint64_t replaced_rng = 0x2545F4914F6CDD1DULL;
#if HAVE_MEMPOOL_PROBES
static uint64_t replaced_rnd(void) { return xorshift(&replaced_rng); }
#endif
static uint64_t detail_rng = 0x9FB21C651E98DF25ULL;
static uint64_t detail_rnd(void) { return xorshift(&detail_rng); }

/* mempool:* vsizes: size_t in release 25, int32_t from 26. Written to JSON as a number either way:
 * the values below stay under 2^53. */
#if SIM_RELEASE == 25
typedef uint64_t vsize_t;
#else
typedef int32_t vsize_t;
#endif

#if HAVE_MEMPOOL_PROBES
/* One replacement per block; the first blocks carry the extremes of each type, which a reader with
 * the wrong width or sign gets visibly wrong (INT32_MIN, -1, UINT64_MAX, 2^63). */
static void fire_replaced(long b, int32_t h) {
  unsigned char replaced[32], replacement[32];
  for (int i = 0; i < 32; i++) replaced[i] = (unsigned char)replaced_rnd();
  for (int i = 0; i < 32; i++) replacement[i] = (unsigned char)replaced_rnd();
  int32_t old_vsize = 100 + (int32_t)(replaced_rnd() % 100000);
  int64_t old_fee = (int64_t)(replaced_rnd() % 10000000);
  uint64_t entry = 1700000000 + replaced_rnd() % 100000000;
  int32_t new_vsize = 100 + (int32_t)(replaced_rnd() % 100000);
  int64_t new_fee = old_fee + 1 + (int64_t)(replaced_rnd() % 10000000);
  switch (b % 4) {
    case 0: old_vsize = INT32_MIN, old_fee = INT64_MIN, entry = UINT64_MAX, new_vsize = INT32_MAX, new_fee = INT64_MAX; break;
    case 1: old_vsize = -1, old_fee = -1, entry = 1ULL << 63, new_vsize = 0, new_fee = -123456789012LL; break;
    case 2: entry = 0; break;
    default: break;
  }
  vsize_t old_v = (vsize_t)old_vsize, new_v = (vsize_t)new_vsize;
#if SIM_RELEASE == 25
  /* A size_t cannot be negative: instead, values a 4-byte reader gets wrong (it reads -1 and 0). */
  if (b % 4 == 0) old_v = (1ULL << 53) - 1, new_v = 1ULL << 32;
  if (b % 4 == 1) old_v = UINT32_MAX, new_v = 0;
#endif
#if SIM_RELEASE >= 29
  _Bool by_tx = (b & 1) == 0;
  STAP_PROBE8(mempool, replaced, replaced, old_v, old_fee, entry, replacement, new_v, new_fee, by_tx);
#else
  /* Up to 28: the replacing transaction's txid, vsize and base fee, no eighth argument. */
  STAP_PROBE7(mempool, replaced, replaced, old_v, old_fee, entry, replacement, new_v, new_fee);
#endif
  /* 64-bit values as strings: JSON numbers lose precision beyond 2^53 in the tests that read them. */
  printf("{\"probe\":\"mempool:replaced\",\"height\":%d,\"replaced_vsize\":%lld,\"replaced_fee\":\"%lld\","
         "\"replaced_entry_time\":\"%llu\",\"replacement_vsize\":%lld,\"replacement_fee\":\"%lld\"",
         h, (long long)old_v, (long long)old_fee, (unsigned long long)entry, (long long)new_v, (long long)new_fee);
#if SIM_RELEASE >= 29
  printf(",\"replaced_by_tx\":%d", by_tx);
#endif
  put_hex("replaced_txid_hex", replaced, 32);
  put_hex("replacement_txid_hex", replacement, 32);
  printf("}\n");
}
#endif

/*
 * Bitcoin Core's net, mempool and utxocache tracepoints. They draw from packs_rng only, so enabling
 * them changes no other probe's values. While any of them is enabled, each block draws the same
 * whichever of them are, so a probe's values for a seed do not depend on which others a tracer
 * enabled (with -w, from the first block); while none is, nothing is drawn and a block costs what
 * it did before them. A small model keeps them coherent: connections are opened and closed
 * (count_now is that direction's count after the open), mempool removals are of transactions added
 * before, and spent coins were added before.
 */
static uint64_t packs_rng = 0xD1B54A32D192ED03ULL;
static uint64_t packs_rnd(void) { return xorshift(&packs_rng); }
static double packs_unit(void) { return (double)(packs_rnd() >> 11) / 9007199254740992.0; }
static double packs_logu(double lo, double hi) { return lo * pow(hi / lo, packs_unit()); }
/* 0 .. n-1 */
static uint64_t packs_upto(uint64_t n) { return packs_rnd() % n; }
#define COUNT(a) (sizeof (a) / sizeof *(a))
#define PICK(a) ((a)[packs_upto(COUNT(a))])

/* A string of 118 bytes: the longest reason the packs are given. */
#define LONG_REASON                                                                                    \
  "mandatory-script-verify-flag-failed (Script failed an OP_EQUALVERIFY operation), input 0 of tx with " \
  "18 inputs rejected"

static const struct msg_kind {
  const char *name;
  uint32_t lo, hi; /* payload bytes */
} msg_kinds[] = {
    {"version", 102, 130}, {"verack", 0, 0}, {"addr", 31, 30003}, {"addrv2", 10, 40003},
    {"sendaddrv2", 0, 0}, {"inv", 37, 50003}, {"getdata", 37, 50003}, {"merkleblock", 119, 100000},
    {"getblocks", 69, 3205}, {"getheaders", 69, 3205}, {"tx", 60, 400000}, {"headers", 82, 162003},
    {"block", 200, 4000000}, {"getaddr", 0, 0}, {"mempool", 0, 0}, {"ping", 8, 8}, {"pong", 8, 8},
    {"notfound", 37, 50003}, {"filterload", 10, 36011}, {"filteradd", 1, 521}, {"filterclear", 0, 0},
    {"sendheaders", 0, 0}, {"feefilter", 8, 8}, {"sendcmpct", 9, 9}, {"cmpctblock", 90, 200000},
    {"getblocktxn", 34, 10000}, {"blocktxn", 33, 2000000}, {"getcfilters", 37, 37}, {"cfilter", 38, 100000},
    {"getcfheaders", 37, 37}, {"cfheaders", 70, 64037}, {"getcfcheckpt", 33, 33}, {"cfcheckpt", 34, 3200},
    {"wtxidrelay", 0, 0}, {"sendtxrcncl", 12, 12},
};
/* The types most of a node's traffic has. */
static const char *const common_msgs[] = {"inv", "tx", "getdata", "ping", "pong", "headers", "addrv2", "feefilter"};
static const char *const unknown_msgs[] = {"fibrexyz", "", "\xff\xfe<b>xyz</b>"};
static const char *const hostile_msgs[] = {
    "<script>", "a\"b'c\\d\ne", "%s%n{}[]", "\xc3\x28\x80\xbf", "verack\x01\x7f", "\xff\xfe<b>xyz</b>", "",
};
/* "private-broadcast", put together at start-up: no release has it whole in .rodata (before 31 it is
 * not in the source; 31's compiler splits it into immediates), so neither does this file. */
static char private_broadcast[sizeof "private-" + sizeof "broadcast" - 1];
#if SIM_RELEASE >= 31
static const char *const outbound_types[] = {
    "outbound-full-relay", "block-relay-only", "manual", "feeler", "addr-fetch", private_broadcast,
};
static const char *const unknown_types[] = {"fibre-udp", ""};
#else
static const char *const outbound_types[] = {"outbound-full-relay", "block-relay-only", "manual", "feeler", "addr-fetch"};
static const char *const unknown_types[] = {private_broadcast, "fibre-udp", ""};
#endif
static const char *const hostile_types[] = {"<b>inbound</b>", "\xff\xfeoutbound-full-relay", "full relay\n\"x\"", ""};
static const char *const misbehaviours[] = {
    "header with invalid proof of work", "invalid compact block", "mutated block", "invalid header received",
    "non-continuous headers sequence", "inv message size = 50001", "addr message size = 1001",
    "getdata message size = 50001", "Peer sent us a getblocktxn with out-of-bounds tx indices", LONG_REASON,
};
static const char *const removal_reasons[] = {"expiry", "sizelimit", "reorg", "block", "conflict", "replaced"};
static const char *const unknown_removals[] = {"fibre-evicted", "", "\xff\xfe<i>block</i>"};
static const char *const rejections[] = {
    "insufficient fee", "min relay fee not met", "mempool min fee not met", "txn-mempool-conflict",
    "bad-txns-inputs-missingorspent", "txn-already-in-mempool", "non-final", "dust",
    "mandatory-script-verify-flag-failed (Script failed an OP_EQUALVERIFY operation)", LONG_REASON,
};
static const char *const hostile_reasons[] = {
    "<img src=x onerror=alert(1)>", "quote\"q'uote`\\", "new\nline\ttab", "\xff\xfe non-utf8 \xc3\x28", "%s%n{}",
};

/* Payloads: read by a tracer up to `size` bytes from where the probe points. Filled when first used. */
#define MAX_PAYLOAD 4000000
static unsigned char payload_buf[MAX_PAYLOAD + 256];
static int payload_filled = 0;

struct conn {
  int64_t id, since;
  uint32_t network;
  int inbound;
  const char *type;
  char addr[128];
};
#define MAX_CONNS 64
static struct conn conns[MAX_CONNS];
static int nconns = 0;
static uint64_t n_inbound = 0, n_outbound = 0;
static int64_t next_peer_id = 0;

struct pooled {
  unsigned char txid[32];
  int32_t vsize;
  int64_t fee;
  uint64_t entry;
};
#define MAX_POOL 256
static struct pooled pool[MAX_POOL];
static int npool = 0;

struct coin {
  unsigned char txid[32];
  uint32_t index, height;
  int64_t value;
  _Bool coinbase;
};
#define MAX_COINS 1024
static struct coin coins[MAX_COINS];
static int ncoins = 0;

static void packs_txid(unsigned char *txid) {
  for (int i = 0; i < 32; i += 8) {
    uint64_t v = packs_rnd();
    for (int j = 0; j < 8; j++) txid[i + j] = (unsigned char)(v >> (8 * j));
  }
}

static void put_base32(char *out, int n) {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  for (int i = 0; i < n; i++) out[i] = alphabet[packs_upto(32)];
  out[n] = 0;
}

/* Core's Network: 0 unroutable, 1 IPv4, 2 IPv6, 3 Tor, 4 I2P, 5 CJDNS; rarely 6 (internal), 7 (NET_MAX)
 * or a value no release has. */
static uint32_t pick_network(void) {
  static const uint32_t odd[] = {6, 7, 42};
  double r = packs_unit();
  if (r < 0.03) return PICK(odd);
  return r < 0.08 ? 0 : r < 0.53 ? 1 : r < 0.68 ? 2 : r < 0.88 ? 3 : r < 0.96 ? 4 : 5;
}

static void make_addr(char *out, size_t n, uint32_t network, int inbound, int hostile) {
  unsigned port = inbound ? 1024 + (unsigned)packs_upto(64512) : 8333;
  unsigned a = (unsigned)packs_upto(256), b = (unsigned)packs_upto(256), c = (unsigned)packs_upto(256);
  char b32[57];
  if (hostile && packs_unit() < 0.3) {
    snprintf(out, n, "%s", PICK(hostile_peers));
    return;
  }
  switch (network) {
    case 0: snprintf(out, n, "192.168.%u.%u:%u", a, b, port); break;
    case 2: snprintf(out, n, "[2001:db8:%x::%x]:%u", a * 256 + b, c, port); break;
    case 3: put_base32(b32, 56); snprintf(out, n, "%s.onion:%u", b32, port); break;
    case 4: put_base32(b32, 52); snprintf(out, n, "%s.b32.i2p:0", b32); break;
    case 5: snprintf(out, n, "[fc%02x::%x:%x]:%u", a, b, c, port); break;
    case 6: snprintf(out, n, "fibre%02x%02x.internal:%u", a, b, port); break;
    default: snprintf(out, n, "%u.%u.%u.%u:%u", 1 + a % 223, b, c, (unsigned)packs_upto(256), port); break;
  }
}

#if HAVE_CONNECTION_PROBES
static void put_conn(const char *probe, int32_t h, const struct conn *c) {
  printf("{\"probe\":\"%s\",\"height\":%d,\"peer_id\":%lld,\"network\":%u", probe, h, (long long)c->id, c->network);
  put_str("addr_hex", c->addr);
  put_str("conn_type_hex", c->type);
}
#endif

static void open_conn(int32_t h, int inbound, int64_t now, int hostile, int edge) {
  if (nconns == MAX_CONNS) return;
  struct conn *c = &conns[nconns++];
  c->id = next_peer_id++;
  c->inbound = inbound;
  if (inbound) c->type = "inbound";
  else if (packs_unit() < 0.03) c->type = hostile && packs_unit() < 0.5 ? PICK(hostile_types) : PICK(unknown_types);
  else {
    double r = packs_unit();
    /* From 31, private broadcast connections: short-lived outbound ones that only send a transaction. */
    c->type = outbound_types[r < 0.55                         ? 0
                             : r < 0.75                       ? 1
                             : r < 0.85                       ? 2
                             : r < 0.95                       ? 3
                             : SIM_RELEASE < 31 || r < 0.98   ? 4
                                                              : 5];
  }
  c->network = pick_network();
  make_addr(c->addr, sizeof c->addr, c->network, inbound, hostile);
  c->since = now - (int64_t)packs_upto(600);
  if (edge && packs_unit() < 0.05) c->since = packs_unit() < 0.5 ? 0 : -1;
  uint64_t count_now = inbound ? ++n_inbound : ++n_outbound;
#if HAVE_CONNECTION_PROBES
  if (inbound && ACTIVE(net, inbound_connection)) {
    STAP_PROBE5(net, inbound_connection, c->id, (const char *)c->addr, c->type, c->network, count_now);
    put_conn("net:inbound_connection", h, c);
    printf(",\"count_now\":%llu}\n", (unsigned long long)count_now);
  }
  if (!inbound && ACTIVE(net, outbound_connection)) {
    STAP_PROBE5(net, outbound_connection, c->id, (const char *)c->addr, c->type, c->network, count_now);
    put_conn("net:outbound_connection", h, c);
    printf(",\"count_now\":%llu}\n", (unsigned long long)count_now);
  }
#else
  (void)h, (void)count_now;
#endif
}

/* Closes conns[i]; an evicted one (inbound only) is reported as evicted first, as bitcoind does. */
static void close_conn(int32_t h, int i, int evicted) {
  struct conn *c = &conns[i];
#if HAVE_CONNECTION_PROBES
  if (evicted && c->inbound && ACTIVE(net, evicted_inbound_connection)) {
    STAP_PROBE5(net, evicted_inbound_connection, c->id, (const char *)c->addr, c->type, c->network, c->since);
    put_conn("net:evicted_inbound_connection", h, c);
    printf(",\"connected_since\":%lld}\n", (long long)c->since);
  }
#else
  (void)h, (void)evicted;
#endif
  if (c->inbound) n_inbound -= n_inbound > 0;
  else n_outbound -= n_outbound > 0;
#if HAVE_CONNECTION_PROBES
  if (ACTIVE(net, closed_connection)) {
    STAP_PROBE5(net, closed_connection, c->id, (const char *)c->addr, c->type, c->network, c->since);
    put_conn("net:closed_connection", h, c);
    printf(",\"connected_since\":%lld}\n", (long long)c->since);
  }
#endif
  conns[i] = conns[--nconns];
}

/* A random open connection of that direction (inbound < 0: either), or -1. */
static int pick_conn(int inbound) {
  uint64_t k = inbound < 0 ? (uint64_t)nconns : inbound ? n_inbound : n_outbound;
  if (k == 0) return -1;
  uint64_t want = packs_upto(k);
  for (int i = 0; i < nconns; i++) {
    if (inbound >= 0 && conns[i].inbound != inbound) continue;
    if (want-- == 0) return i;
  }
  return -1;
}

static void fire_message(int32_t h, int inbound, int hostile, int edge) {
  int i = pick_conn(inbound);
  if (i < 0) return;
  const struct conn *c = &conns[i];
  const char *type;
  uint64_t size;
  double r = packs_unit();
  if (r < 0.1) {
    type = hostile && packs_unit() < 0.6 ? PICK(hostile_msgs) : PICK(unknown_msgs);
    size = packs_upto(1001);
  } else {
    const struct msg_kind *k = &msg_kinds[packs_upto(COUNT(msg_kinds))];
    if (r < 0.55) {
      const char *name = PICK(common_msgs);
      for (size_t j = 0; j < COUNT(msg_kinds); j++)
        if (strcmp(msg_kinds[j].name, name) == 0) k = &msg_kinds[j];
    }
    type = k->name;
    size = k->lo == k->hi ? k->lo : k->lo - 1 + (uint64_t)llround(packs_logu(1, k->hi - k->lo + 1));
    if (size > k->hi) size = k->hi;
  }
  if (edge && packs_unit() < 0.02) size = packs_unit() < 0.5 ? 0 : MAX_PAYLOAD;
  const unsigned char *payload = payload_buf + packs_upto(256);
  int fire = inbound ? ACTIVE(net, inbound_message) : ACTIVE(net, outbound_message);
  if (!fire) return;
  if (!payload_filled) {
    for (uint32_t j = 0; j < sizeof payload_buf; j++) payload_buf[j] = (unsigned char)((j * 2654435761u) >> 24);
    payload_filled = 1;
  }
  if (inbound) STAP_PROBE6(net, inbound_message, c->id, (const char *)c->addr, c->type, type, size, payload);
  else STAP_PROBE6(net, outbound_message, c->id, (const char *)c->addr, c->type, type, size, payload);
  printf("{\"probe\":\"net:%s_message\",\"height\":%d,\"peer_id\":%lld,\"size\":%llu", inbound ? "inbound" : "outbound",
         h, (long long)c->id, (unsigned long long)size);
  put_str("addr_hex", c->addr);
  put_str("conn_type_hex", c->type);
  put_str("msg_type_hex", type);
  put_hex("payload_head_hex", payload, size < 32 ? size : 32);
  printf("}\n");
}

static void simulate_net(int32_t h, int64_t now, int hostile, int edge) {
  int opens_in = (int)packs_upto(3) + (n_inbound < 4), opens_out = (int)packs_upto(3) + (n_outbound < 4);
  for (int i = 0; i < opens_in; i++) open_conn(h, 1, now, hostile, edge);
  for (int i = 0; i < opens_out; i++) open_conn(h, 0, now, hostile, edge);
  int msgs_in = 3 + (int)packs_upto(8), msgs_out = 3 + (int)packs_upto(8);
  for (int i = 0; i < msgs_in; i++) fire_message(h, 1, hostile, edge);
  for (int i = 0; i < msgs_out; i++) fire_message(h, 0, hostile, edge);
  if (packs_unit() < 0.3) {
    int i = pick_conn(-1);
    const char *reason = hostile && packs_unit() < 0.4 ? PICK(hostile_reasons) : PICK(misbehaviours);
#if HAVE_CONNECTION_PROBES
    if (i >= 0 && ACTIVE(net, misbehaving_connection)) {
      STAP_PROBE2(net, misbehaving_connection, conns[i].id, reason);
      printf("{\"probe\":\"net:misbehaving_connection\",\"height\":%d,\"peer_id\":%lld", h, (long long)conns[i].id);
      put_str("reason_hex", reason);
      printf("}\n");
    }
#else
    (void)reason;
#endif
    if (i >= 0 && packs_unit() < 0.5) close_conn(h, i, 0);
  }
  if (packs_unit() < 0.3) {
    int i = pick_conn(1);
    if (i >= 0) close_conn(h, i, 1);
  }
  int closes = (int)packs_upto(3) + (nconns > 40 ? 3 : 0);
  for (int k = 0; k < closes; k++) {
    int i = pick_conn(-1);
    if (i >= 0) close_conn(h, i, 0);
  }
}

static void simulate_mempool(int32_t h, int64_t now, int hostile, int edge) {
#if !HAVE_MEMPOOL_PROBES
  /* Before 25 there are no mempool probes; the pool is kept all the same, so the later draws match. */
  (void)h;
#endif
  int removals = 5 + (int)packs_upto(16) + (npool > 200 ? 20 : 0);
  for (int k = 0; k < removals && npool > 0; k++) {
    int i = (int)packs_upto((uint64_t)npool);
    struct pooled *t = &pool[i];
    double r = packs_unit();
    const char *reason = r < 0.02   ? (hostile && packs_unit() < 0.5 ? PICK(hostile_reasons) : PICK(unknown_removals))
                         : r < 0.6  ? "block"
                         : r < 0.7  ? "replaced"
                         : r < 0.78 ? "conflict"
                         : r < 0.86 ? "expiry"
                         : r < 0.94 ? "sizelimit"
                         : r < 0.98 ? "reorg"
                                    : PICK(removal_reasons);
    if (edge && packs_unit() < 0.05) t->entry = 0;
#if HAVE_MEMPOOL_PROBES
    if (ACTIVE(mempool, removed)) {
      vsize_t vsize = (vsize_t)t->vsize;
      STAP_PROBE5(mempool, removed, t->txid, reason, vsize, t->fee, t->entry);
      printf("{\"probe\":\"mempool:removed\",\"height\":%d,\"vsize\":%lld,\"fee\":%lld,\"entry_time\":%llu", h,
             (long long)vsize, (long long)t->fee, (unsigned long long)t->entry);
      put_hex("txid_hex", t->txid, 32);
      put_str("reason_hex", reason);
      printf("}\n");
    }
#else
    (void)reason;
#endif
    pool[i] = pool[--npool];
  }
  int adds = 5 + (int)packs_upto(16);
  for (int k = 0; k < adds; k++) {
    struct pooled t;
    packs_txid(t.txid);
    t.vsize = packs_unit() < 0.01 ? 1 + (int32_t)packs_upto(60) : (int32_t)llround(packs_logu(60, 400000));
    t.fee = (int64_t)llround(t.vsize * packs_logu(1, 500));
    if (edge && packs_unit() < 0.1) t.fee = 0;
    t.entry = (uint64_t)(now + (int64_t)packs_upto(600));
#if HAVE_MEMPOOL_PROBES
    if (ACTIVE(mempool, added)) {
      vsize_t vsize = (vsize_t)t.vsize;
      STAP_PROBE3(mempool, added, t.txid, vsize, t.fee);
      printf("{\"probe\":\"mempool:added\",\"height\":%d,\"vsize\":%lld,\"fee\":%lld", h, (long long)vsize,
             (long long)t.fee);
      put_hex("txid_hex", t.txid, 32);
      printf("}\n");
    }
#endif
    if (npool < MAX_POOL) pool[npool++] = t;
  }
  int rejects = (int)packs_upto(3);
  for (int k = 0; k < rejects; k++) {
    unsigned char txid[32];
    packs_txid(txid);
    const char *reason = hostile && packs_unit() < 0.3 ? PICK(hostile_reasons) : PICK(rejections);
#if HAVE_MEMPOOL_PROBES
    if (ACTIVE(mempool, rejected)) {
      STAP_PROBE2(mempool, rejected, txid, reason);
      printf("{\"probe\":\"mempool:rejected\",\"height\":%d", h);
      put_hex("txid_hex", txid, 32);
      put_str("reason_hex", reason);
      printf("}\n");
    }
#else
    (void)reason;
#endif
  }
}

static void put_coin(const char *probe, int32_t h, const struct coin *c) {
  printf("{\"probe\":\"%s\",\"height\":%d,\"index\":%u,\"coin_height\":%u,\"value\":%lld,\"coinbase\":%d", probe, h,
         c->index, c->height, (long long)c->value, c->coinbase);
  put_hex("txid_hex", c->txid, 32);
  printf("}\n");
}

static void simulate_utxocache(int32_t h, int edge) {
  /* The block's inputs are spent, then its outputs added; then some coins leave the cache unspent. */
  int spends = 10 + (int)packs_upto(41);
  for (int k = 0; k < spends; k++) {
    struct coin c;
    if (ncoins > 0) {
      int i = (int)packs_upto((uint64_t)ncoins);
      c = coins[i];
      coins[i] = coins[--ncoins];
    } else {
      packs_txid(c.txid);
      c.index = (uint32_t)packs_upto(4);
      c.height = (uint32_t)h - 1 - (uint32_t)packs_upto(1000);
      c.value = (int64_t)llround(packs_logu(546, 1e10));
      c.coinbase = 0;
    }
    if (ACTIVE(utxocache, spent)) {
      STAP_PROBE5(utxocache, spent, c.txid, c.index, c.height, c.value, c.coinbase);
      put_coin("utxocache:spent", h, &c);
    }
  }
  int adds = 10 + (int)packs_upto(41);
  struct coin c;
  for (int k = 0; k < adds; k++) {
    if (k == 0 || packs_unit() < 0.5) {
      packs_txid(c.txid);
      c.index = 0;
    } else {
      c.index++;
    }
    c.height = (uint32_t)h;
    c.coinbase = k == 0;
    c.value = k == 0 ? 312500000 + (int64_t)packs_upto(50000000) : (int64_t)llround(packs_logu(546, 1e10));
    if (edge) {
      double r = packs_unit();
      if (r < 0.05) c.value = 0;
      else if (r < 0.07) c.value = 2100000000000000LL; /* MAX_MONEY */
      else if (r < 0.08) c.index = UINT32_MAX;
    }
    if (ACTIVE(utxocache, add)) {
      STAP_PROBE5(utxocache, add, c.txid, c.index, c.height, c.value, c.coinbase);
      put_coin("utxocache:add", h, &c);
    }
    if (ncoins < MAX_COINS) coins[ncoins++] = c;
    else coins[packs_upto(MAX_COINS)] = c;
  }
  int uncaches = 10 + (int)packs_upto(41);
  for (int k = 0; k < uncaches; k++) {
    const struct coin *u = &coins[packs_upto((uint64_t)ncoins)]; /* ncoins >= 10 here */
    if (ACTIVE(utxocache, uncache)) {
      STAP_PROBE5(utxocache, uncache, u->txid, u->index, u->height, u->value, u->coinbase);
      put_coin("utxocache:uncache", h, u);
    }
  }
  /* Core's FlushStateMode: 0 NONE, 1 IF_NEEDED, 2 PERIODIC, 3 ALWAYS (from 31: FORCE_FLUSH), and from 31
   * 4 FORCE_SYNC; rarely one it does not have. */
  int64_t duration_us = packs_unit() < 0.1 ? 0 : (int64_t)llround(packs_logu(20, 5e6));
  if (edge && packs_unit() < 0.1) duration_us = packs_unit() < 0.5 ? -1 : -1 - (int64_t)packs_upto(100000);
  uint32_t mode = packs_unit() < 0.03 ? 7 : (uint32_t)packs_upto(SIM_RELEASE >= 31 ? 5 : 4);
  uint64_t ncached = (uint64_t)llround(packs_logu(1000, 1.5e8));
  uint64_t memory = ncached * (80 + packs_upto(40));
  if (edge && packs_unit() < 0.05) ncached = 0, memory = 0;
  _Bool for_prune = packs_unit() < 0.1;
  if (ACTIVE(utxocache, flush)) {
    STAP_PROBE5(utxocache, flush, duration_us, mode, ncached, memory, for_prune);
    printf("{\"probe\":\"utxocache:flush\",\"height\":%d,\"duration_us\":%lld,\"mode\":%u,\"coins\":%llu,"
           "\"memory_bytes\":%llu,\"for_prune\":%d}\n",
           h, (long long)duration_us, mode, (unsigned long long)ncached, (unsigned long long)memory, for_prune);
  }
}

#if HAVE_WALLET
/*
 * The wallet's coin_selection tracepoints (24+, in builds with the wallet), from wallet_rng only, so
 * enabling them changes no other probe's values. A send is CreateTransaction: selected_coins ->
 * normal_create_tx_internal -> (when it succeeded with a fee) attempting_aps_create_tx ->
 * selected_coins (the avoid-partial-spends selection, when it succeeds) -> aps_create_tx_internal.
 * Every value of a send is drawn whichever of the four probes are enabled.
 */
static uint64_t wallet_rng = 0xA0761D6478BD642FULL;
static uint64_t wallet_rnd(void) { return xorshift(&wallet_rng); }
static double wallet_unit(void) { return (double)(wallet_rnd() >> 11) / 9007199254740992.0; }
static double wallet_logu(double lo, double hi) { return lo * pow(hi / lo, wallet_unit()); }
static uint64_t wallet_upto(uint64_t n) { return wallet_rnd() % n; }
#define WALLET_PICK(a) ((a)[wallet_upto(COUNT(a))])

/* "" is the default wallet's name. */
static const char *const wallet_names[] = {"", "default", "hot", "savings", "exchange-hot-2"};
static const char *const hostile_wallets[] = {
    "<script>alert(1)</script>", "quote\"q'uote`\\", "new\nline\ttab", "\xff\xfe non-utf8 \xc3\x28 \x01\x7f",
    "%s%n{}[]", "w\xc3\xa4llet with spaces", "",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
};
/* GetAlgorithmName(): "cg" (CoinGrinder) from 27. */
static const char *const algorithms[] = {"bnb", "knapsack", "srd", "manual", "cg"};
static const char *const hostile_algorithms[] = {
    "<b>bnb</b>", "\"knapsack\"", "srd'\\\n", "\xff\xfe\xc3\x28", "", "knapsack-with-a-long-name", "cg\x01\x7f",
};
/* change_pos on failure: 0 up to 26 (an int left as it was), -1 from 27 (no change position). */
#define FAILED_CHANGE_POS (SIM_RELEASE >= 27 ? -1 : 0)

struct selection {
  const char *algorithm;
  int64_t target, waste, selected;
  int32_t change_pos;
};

static void draw_selection(struct selection *s, int64_t target, int hostile, int edge) {
  double r = wallet_unit();
  /* Knapsack takes CoinGrinder's share before 27. */
  int algo = r < 0.3 ? 0 : r < 0.55 ? 1 : r < 0.8 ? 2 : r < 0.85 ? 3 : SIM_RELEASE >= 27 ? 4 : 1;
  s->algorithm = algorithms[algo];
  if (hostile && wallet_unit() < 0.3) s->algorithm = WALLET_PICK(hostile_algorithms);
  s->target = target;
  /* Branch and bound finds a changeless solution; the others mostly leave change. */
  _Bool change = wallet_unit() < (algo == 0 ? 0.05 : 0.9);
  s->change_pos = change ? (int32_t)wallet_upto(4) : -1;
  s->selected = target + (change ? (int64_t)llround(wallet_logu(546, 1e9)) : (int64_t)wallet_upto(3000));
  s->waste = (int64_t)wallet_upto(250001) - 50000;
  if (edge) {
    double e = wallet_unit();
    /* Waste is bounded by the money supply (MAX_MONEY, 21e6 BTC in satoshis) either way: the kernel
     * sums it in 8 bytes, where INT64_MIN and INT64_MAX would wrap what no wallet can reach. */
    if (e < 0.04) s->waste = -2100000000000000LL;
    else if (e < 0.08) s->waste = 2100000000000000LL;
  }
}

static void fire_selected(int32_t h, const char *wallet, const struct selection *s) {
  if (!ACTIVE(coin_selection, selected_coins)) return;
  STAP_PROBE5(coin_selection, selected_coins, wallet, s->algorithm, s->target, s->waste, s->selected);
  /* All three stay under 2^53 (waste within the money supply either way, target and selected at most
   * 1e10 + 1e9 + change): exact as JSON numbers; waste stays a string as it always was. */
  printf("{\"probe\":\"coin_selection:selected_coins\",\"height\":%d,\"target\":%lld,\"waste\":\"%lld\","
         "\"selected\":%lld",
         h, (long long)s->target, (long long)s->waste, (long long)s->selected);
  put_str("wallet_hex", wallet);
  put_str("algorithm_hex", s->algorithm);
  printf("}\n");
}

static void wallet_send(int32_t h, int hostile, int edge) {
  const char *wallet = hostile && wallet_unit() < 0.3 ? WALLET_PICK(hostile_wallets) : WALLET_PICK(wallet_names);
  /* About one send in ten fails to select (insufficient funds): no selection, no second attempt. */
  _Bool ok = wallet_unit() >= 0.1;
  int64_t target = (int64_t)llround(wallet_logu(1e4, 1e10));
  if (edge && wallet_unit() < 0.05) target = 0;
  struct selection normal, aps;
  draw_selection(&normal, target, hostile, edge);
  int64_t fee = (int64_t)llround(wallet_logu(110, 100000));
  if (edge && wallet_unit() < 0.1) fee = 0; /* a zero fee succeeds, and skips the second attempt */
  /* The avoid-partial-spends attempt mostly succeeds; its result is kept when its fee is at most the
   * first's (-maxapsfee 0), which it is about half the time. */
  draw_selection(&aps, target, hostile, edge);
  _Bool aps_ok = wallet_unit() < 0.9;
  int64_t aps_fee = (int64_t)llround((double)fee * (0.7 + 0.6 * wallet_unit()));
  _Bool use_aps = aps_ok && aps_fee <= fee;

  if (ok) fire_selected(h, wallet, &normal);
  if (ACTIVE(coin_selection, normal_create_tx_internal)) {
    int64_t f = ok ? fee : 0;
    int32_t pos = ok ? normal.change_pos : FAILED_CHANGE_POS;
    STAP_PROBE4(coin_selection, normal_create_tx_internal, wallet, ok, f, pos);
    printf("{\"probe\":\"coin_selection:normal_create_tx_internal\",\"height\":%d,\"success\":%d,\"fee\":%lld,"
           "\"change_pos\":%d",
           h, ok, (long long)f, pos);
    put_str("wallet_hex", wallet);
    printf("}\n");
  }
  if (!ok || fee <= 0) return;
  if (ACTIVE(coin_selection, attempting_aps_create_tx)) {
    STAP_PROBE1(coin_selection, attempting_aps_create_tx, wallet);
    printf("{\"probe\":\"coin_selection:attempting_aps_create_tx\",\"height\":%d", h);
    put_str("wallet_hex", wallet);
    printf("}\n");
  }
  if (aps_ok) fire_selected(h, wallet, &aps);
  if (ACTIVE(coin_selection, aps_create_tx_internal)) {
    int64_t f = aps_ok ? aps_fee : 0;
    int32_t pos = aps_ok ? aps.change_pos : FAILED_CHANGE_POS;
    STAP_PROBE5(coin_selection, aps_create_tx_internal, wallet, use_aps, aps_ok, f, pos);
    printf("{\"probe\":\"coin_selection:aps_create_tx_internal\",\"height\":%d,\"use_aps\":%d,\"success\":%d,"
           "\"fee\":%lld,\"change_pos\":%d",
           h, use_aps, aps_ok, (long long)f, pos);
    put_str("wallet_hex", wallet);
    printf("}\n");
  }
}

/* 0 to 2 sends a block. */
static void simulate_wallet(int32_t h, int hostile, int edge) {
  int sends = (int)wallet_upto(3);
  for (int k = 0; k < sends; k++) wallet_send(h, hostile, edge);
}
#endif

/*
 * One block's worth of the other tracepoints; time is simulated (ten minutes a block) so runs repeat.
 * The net, mempool and utxocache model runs while any of its probes is enabled, the wallet while any
 * coin_selection one is: each draws from its own generator, so either runs without the other.
 * Without semaphores (before 29) both run on every block.
 */
static void simulate_packs(long b, int32_t h, int hostile, int edge) {
  int packs = ACTIVE(net, inbound_message) || ACTIVE(net, outbound_message) || ACTIVE(utxocache, flush) ||
              ACTIVE(utxocache, add) || ACTIVE(utxocache, spent) || ACTIVE(utxocache, uncache);
#if HAVE_CONNECTION_PROBES
  packs = packs || ACTIVE(net, inbound_connection) || ACTIVE(net, outbound_connection) ||
          ACTIVE(net, evicted_inbound_connection) || ACTIVE(net, closed_connection) ||
          ACTIVE(net, misbehaving_connection);
#endif
#if HAVE_MEMPOOL_PROBES
  packs = packs || ACTIVE(mempool, added) || ACTIVE(mempool, removed) || ACTIVE(mempool, rejected);
#endif
  if (packs) {
    int64_t now = 1760000000 + (int64_t)b * 600;
    simulate_net(h, now, hostile, edge);
    simulate_mempool(h, now, hostile, edge);
    simulate_utxocache(h, edge);
  }
#if HAVE_WALLET
  if (WALLET_ACTIVE()) simulate_wallet(h, hostile, edge);
#endif
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s) {
  if (s <= 0) return;
  struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

#define STR_(x) #x
#define STR(x) STR_(x)

static void usage(void) {
  fprintf(stderr,
          "usage: bitcoind-sim [-n BLOCKS] [-r RATE] [-s SEED] [-H HEIGHT] [-w SECS] [-k PROBES]\n"
          "                    [-R] [-S] [-x] [-e] [-u] [-l] [-d] [-P PEERS]\n"
          "built as Bitcoin Core release " STR(SIM_RELEASE) ", "
#if HAVE_SEMAPHORES
          "with semaphores: a probe fires only while a tracer enables it\n"
#else
          "without semaphores: every probe fires, attached or not (-S to wait)\n"
#endif
          "  -n BLOCKS  blocks to fire (default 10; 0 = until SIGTERM)\n"
          "  -r RATE    blocks per second (default 0 = as fast as possible)\n"
          "  -s SEED    random seed (default 1)\n"
          "  -H HEIGHT  first block height (default 800000)\n"
          "  -w SECS    first wait until PROBES semaphores are enabled (exit 3 on timeout); only on a build\n"
          "             with semaphores (release 29 and later): elsewhere a usage error, use -S\n"
          "  -k PROBES  how many semaphores -w waits for (default 4): any probe's but mempool:replaced's, the\n"
          "             net:*, mempool:added/removed/rejected, utxocache:* and coin_selection:* ones included\n"
          "  -R         -w also waits for mempool:replaced's semaphore\n"
          "  -S         wait for SIGUSR2 before firing the first block (after -w's wait, if any): how a test\n"
          "             says its tracer is attached to a build without semaphores\n"
          "  -x         hostile strings (spaces, quotes, newlines, markup, invalid UTF-8, 127 bytes) in peers,\n"
          "             message and connection types, reasons, wallet names and coin selection algorithms\n"
          "  -e         edge values: negative durations, zero chunks, times and fees, reorgs, extreme waste\n"
          "  -u         connect time in microseconds, as bitcoind v23 and v24 pass it (what a release 23 or 24\n"
          "             build does anyway)\n"
          "  -l         linger after the last block until SIGTERM (SIGUSR1 reports semaphores: null on a build\n"
          "             without them)\n"
          "  -d         udp:block_reconstruction_detail skips every third block (a block without detail)\n"
          "  -P PEERS   block N's peers are peer-<N mod PEERS>.example:8333: PEERS distinct peers, enough to\n"
          "             fill a tracer's peer-keyed maps\n");
  exit(2);
}

int main(int argc, char **argv) {
  long blocks = 10, seed = 1, wait_s = 0, want = 4, distinct_peers = 0;
  int32_t height = 800000;
  double rate = 0;
  int hostile = 0, edge = 0, micros = 0, linger = 0, want_replaced = 0, skip_detail = 0, wait_go = 0, opt;
  while ((opt = getopt(argc, argv, "n:r:s:H:w:k:P:RSxeuldh")) != -1) {
    switch (opt) {
      case 'n': blocks = atol(optarg); break;
      case 'r': rate = atof(optarg); break;
      case 's': seed = atol(optarg); break;
      case 'H': height = (int32_t)atol(optarg); break;
      case 'w':
#if !HAVE_SEMAPHORES
        fprintf(stderr, "bitcoind-sim: -w: this build (release %d) has no semaphores to wait for; use -S and SIGUSR2\n",
                SIM_RELEASE);
        usage();
#endif
        wait_s = atol(optarg);
        break;
      case 'k': want = atol(optarg); break;
      case 'R': want_replaced = 1; break;
      case 'S': wait_go = 1; break;
      case 'x': hostile = 1; break;
      case 'e': edge = 1; break;
      case 'u': micros = 1; break;
      case 'l': linger = 1; break;
      case 'd': skip_detail = 1; break;
      case 'P': distinct_peers = atol(optarg); break;
      default: usage();
    }
  }
#if !HAVE_SEMAPHORES
  (void)wait_s, (void)want, (void)want_replaced;
#endif
#if SIM_RELEASE <= 24
  (void)micros; /* the connect time is in microseconds anyway */
#endif
  memcpy(private_broadcast, "private-", sizeof "private-" - 1);
  memcpy(private_broadcast + sizeof "private-" - 1, "broadcast", sizeof "broadcast");
  rng ^= (uint64_t)seed * 0x9E3779B97F4A7C15ULL;
  if (rng == 0) rng = 1;
  replaced_rng ^= (uint64_t)seed * 0xBF58476D1CE4E5B9ULL;
  if (replaced_rng == 0) replaced_rng = 1;
  detail_rng ^= (uint64_t)seed * 0x94D049BB133111EBULL;
  if (detail_rng == 0) detail_rng = 1;
  packs_rng ^= (uint64_t)seed * 0xD6E8FEB86659FD93ULL;
  if (packs_rng == 0) packs_rng = 1;
#if HAVE_WALLET
  wallet_rng ^= (uint64_t)seed * 0x8EBC6AF09C88C6E3ULL;
  if (wallet_rng == 0) wallet_rng = 1;
#endif
  signal(SIGTERM, on_stop);
  signal(SIGINT, on_stop);
  signal(SIGUSR1, on_report);
  /* Before {"started"}: a SIGUSR2 sent once that line is read can no longer kill the process. */
  signal(SIGUSR2, on_go);
  printf("{\"started\":%d}\n", (int)getpid());
  fflush(stdout);

#if HAVE_SEMAPHORES
  if (wait_s > 0) {
    double deadline = now_s() + wait_s;
    while (active_count() < want || (want_replaced && !ACTIVE(mempool, replaced))) {
      if (now_s() > deadline || stop_requested) {
        report_semaphores();
        fprintf(stderr, "bitcoind-sim: only %d of %ld semaphores enabled after %lds\n", active_count(), want, wait_s);
        return 3;
      }
      sleep_s(0.01);
    }
    /* The kernel enables a semaphore when it registers the uprobe, a moment before bpftrace's program
     * is attached to it: events fired in between are lost by any tracer. Give it that moment. */
    sleep_s(0.3);
    report_semaphores();
  }
#endif
  while (wait_go && !go_requested && !stop_requested) {
    if (report_requested) { report_requested = 0; report_semaphores(); }
    sleep_s(0.01);
  }

  const char **peers = hostile ? hostile_peers : normal_peers;
  size_t npeers = hostile ? sizeof hostile_peers / sizeof *hostile_peers : sizeof normal_peers / sizeof *normal_peers;
  double start = now_s();
  long fired_blocks = 0;
  for (long b = 0; (blocks == 0 || b < blocks) && !stop_requested; b++) {
    if (report_requested) { report_requested = 0; report_semaphores(); }
    if (rate > 0) sleep_s(start + b / rate - now_s());
    if (edge && b > 0 && unit() < 0.1) height -= 2; /* a reorg: heights go backwards */
    int32_t h = height++;
    unsigned char hash[32];
    char hash_hex[65];
    for (int i = 0; i < 32; i++) hash[i] = (unsigned char)rnd();
    for (int i = 0; i < 32; i++) sprintf(hash_hex + 2 * i, "%02x", hash[31 - i]);

    double r = unit();
    const char *winner = r < 0.6 ? "FIBRE/UDP" : r < 0.9 ? "BIP152/CMPCTBLOCK" : other_winners[rnd() % 2];
    const char *wpeer = peers[rnd() % npeers];
    if (winner == other_winners[0] || winner == other_winners[1]) {
      if (unit() < 0.5) wpeer = "n/a";
    }
    const char *udp_peer = peers[rnd() % npeers];
    const char *cmpct_peer = peers[rnd() % npeers];
    char distinct[48];
    if (distinct_peers > 0) {
      /* After the picks above, so that a run with -P draws the same random numbers as one without. */
      snprintf(distinct, sizeof distinct, "peer-%ld.example:8333", b % distinct_peers);
      if (strcmp(wpeer, "n/a") != 0) wpeer = distinct;
      udp_peer = cmpct_peer = distinct;
    }

    if (unit() < 0.7 && UDP_ACTIVE(block_send_start)) {
      uint32_t to_peers = 1 + rnd() % 8;
      STAP_PROBE3(udp, block_send_start, hash, h, to_peers);
      printf("{\"probe\":\"udp:block_send_start\",\"height\":%d}\n", h);
    }
    if (winner[0] == 'F' || unit() < 0.25) {
      uint32_t used = (uint32_t)llround(logu(1, 4000));
      uint32_t recvd = used + (uint32_t)(rnd() % (used / 4 + 1));
      uint32_t npeer = 1 + rnd() % 8;
      int64_t dur_us = (int64_t)llround(logu(300, 8e6));
      if (edge && unit() < 0.2) used = 0, recvd = 0;
      if (edge && unit() < 0.2) dur_us = unit() < 0.5 ? -1 : -(int64_t)(rnd() % 100000);
      if (UDP_ACTIVE(block_reconstructed)) {
#ifdef WIDE_RECONSTRUCTED_HEIGHT
        /* A build whose note disagrees with the catalogue (height as 8 bytes): the agent must refuse it. */
        STAP_PROBE7(udp, block_reconstructed, hash_hex, udp_peer, used, recvd, npeer, dur_us, (int64_t)h);
#else
        STAP_PROBE7(udp, block_reconstructed, hash_hex, udp_peer, used, recvd, npeer, dur_us, h);
#endif
        printf("{\"probe\":\"udp:block_reconstructed\",\"height\":%d,\"chunks_used\":%u,\"chunks_recvd\":%u,"
               "\"num_peers\":%u,\"duration_us\":%lld",
               h, used, recvd, npeer, (long long)dur_us);
        put_str("hash_hex", hash_hex);
        put_str("peer_hex", udp_peer);
        printf("}\n");
      }
      if (UDP_ACTIVE(block_reconstruction_detail) && !(skip_detail && b % 3 == 0)) {
        /* About a third of blocks come entirely from the mempool; the rest miss up to a tenth. */
        uint32_t total = 1 + detail_rnd() % 5000;
        uint32_t missing = detail_rnd() % 3 == 0 ? 0 : (uint32_t)(detail_rnd() % (total / 10 + 1));
        uint64_t missing_bytes = (uint64_t)missing * 400;
        uint32_t from_mempool = total - missing, all = missing == 0;
        STAP_PROBE7(udp, block_reconstruction_detail, hash_hex, h, missing, missing_bytes, from_mempool, total, all);
        printf("{\"probe\":\"udp:block_reconstruction_detail\",\"height\":%d,\"missing_tx_count\":%u,"
               "\"missing_tx_bytes\":%llu,\"mempool_tx_count\":%u,\"total_tx_count\":%u,\"all_tx_from_mempool\":%u",
               h, missing, (unsigned long long)missing_bytes, from_mempool, total, all);
        put_str("hash_hex", hash_hex);
        printf("}\n");
      }
    }
    /* As in the real source: race_winner fires just before race_time, from the same function. */
    if (UDP_ACTIVE(block_race_winner)) {
      STAP_PROBE4(udp, block_race_winner, hash, h, winner, wpeer);
      printf("{\"probe\":\"udp:block_race_winner\",\"height\":%d", h);
      put_str("hash_hex", hash_hex);
      put_str("winner_hex", winner);
      put_str("peer_hex", wpeer);
      printf("}\n");
    }
    if (UDP_ACTIVE(block_race_time)) {
      int64_t udp_ns = unit() < 0.1 ? -1 : (int64_t)llround(logu(1e5, 5e9));
      int64_t cmpct_ns = unit() < 0.1 ? -1 : (int64_t)llround(logu(1e5, 5e9));
      STAP_PROBE6(udp, block_race_time, hash, h, udp_ns, udp_peer, cmpct_ns, cmpct_peer);
      printf("{\"probe\":\"udp:block_race_time\",\"height\":%d,\"udp_ns\":%lld,\"cmpct_ns\":%lld", h,
             (long long)udp_ns, (long long)cmpct_ns);
      put_str("udp_peer_hex", udp_peer);
      put_str("cmpct_peer_hex", cmpct_peer);
      put_str("hash_hex", hash_hex);
      printf("}\n");
    }
    if (ACTIVE(validation, block_connected)) {
      uint64_t txs = (uint64_t)llround(logu(1, 6000));
      int32_t inputs = (int32_t)(txs * 2 + rnd() % 100);
      int64_t sigops = (int64_t)(inputs * 2);
      int64_t connect_ns = (int64_t)llround(logu(2e5, 3e9));
      if (edge && unit() < 0.2) connect_ns = unit() < 0.5 ? 0 : -1;
#if SIM_RELEASE <= 24
      /* GetTimeMicros() differences: int64 microseconds. */
      int64_t connect = connect_ns / 1000;
#elif SIM_RELEASE <= 28
      /* A std::chrono::steady_clock::duration: nanoseconds, which the note records as 8 unsigned bytes.
       * Written as a string: -e's -1 ns is 2^64 - 1 here, beyond a JSON number's 2^53. */
      uint64_t connect = (uint64_t)(micros ? connect_ns / 1000 : connect_ns);
#else
      int64_t connect = micros ? connect_ns / 1000 : connect_ns;
#endif
      STAP_PROBE6(validation, block_connected, hash, h, txs, inputs, sigops, connect);
#if SIM_RELEASE >= 25 && SIM_RELEASE <= 28
      printf("{\"probe\":\"validation:block_connected\",\"height\":%d,\"tx_count\":%llu,\"inputs\":%d,"
             "\"sigops\":%lld,\"connect_time\":\"%llu\"",
             h, (unsigned long long)txs, inputs, (long long)sigops, (unsigned long long)connect);
#else
      printf("{\"probe\":\"validation:block_connected\",\"height\":%d,\"tx_count\":%llu,\"inputs\":%d,"
             "\"sigops\":%lld,\"connect_time\":%lld",
             h, (unsigned long long)txs, inputs, (long long)sigops, (long long)connect);
#endif
      /* Display order, as bitcoind prints hashes: the probe's argument is the internal order, reversed. */
      put_str("hash_hex", hash_hex);
      printf("}\n");
    }
#if HAVE_MEMPOOL_PROBES
    if (ACTIVE(mempool, replaced)) fire_replaced(b, h);
#endif
    simulate_packs(b, h, hostile, edge);
    fired_blocks++;
    fflush(stdout);
  }
  printf("{\"done\":%ld}\n", fired_blocks);
  fflush(stdout);
  while (linger && !stop_requested) {
    if (report_requested) { report_requested = 0; report_semaphores(); }
    sleep_s(0.02);
  }
  report_semaphores();
  return 0;
}
