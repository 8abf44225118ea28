/*
 * bitcoind-sim: a stand-in for a FIBRE bitcoind. It fires the same USDT tracepoints with the same
 * argument types, each guarded by a semaphore in section .probes as bitcoind's TRACEPOINT_SEMAPHORE
 * does, so a probe fires only while a tracer has enabled it: a test that forgets to enable a
 * semaphore sees nothing, as it would on a real node.
 *
 * Each event actually fired is written to stdout as one JSON line (strings hex-encoded, since the
 * hostile ones are not valid UTF-8), so tests compute the metric values they expect from it.
 */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SEMAPHORE(ctx, ev) unsigned short ctx##_##ev##_semaphore __attribute__((section(".probes")))
#define ACTIVE(ctx, ev) (ctx##_##ev##_semaphore > 0)
/* -DNO_UDP_PROBES builds a binary like bitcoind from the fork's public tree: no udp:* probes. */
#ifdef NO_UDP_PROBES
#define UDP_ACTIVE(ev) 0
#else
#define UDP_ACTIVE(ev) ACTIVE(udp, ev)
#endif

SEMAPHORE(udp, block_reconstructed);
SEMAPHORE(udp, block_reconstruction_detail);
SEMAPHORE(udp, block_send_start);
SEMAPHORE(udp, block_race_winner);
SEMAPHORE(udp, block_race_time);
SEMAPHORE(validation, block_connected);
/* Bitcoin Core's probe with the most arguments (8): bpftrace 0.17 reads only the first 6 by argN, so
 * the agent reads it from the locations in the note. Not counted by -k: -R waits for it. */
SEMAPHORE(mempool, replaced);

static volatile sig_atomic_t stop_requested = 0;
static volatile sig_atomic_t report_requested = 0;
static void on_stop(int sig) { (void)sig; stop_requested = 1; }
static void on_report(int sig) { (void)sig; report_requested = 1; }

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

static void report_semaphores(void) {
  printf("{\"semaphores\":{\"udp:block_reconstructed\":%u,\"udp:block_reconstruction_detail\":%u,"
         "\"udp:block_send_start\":%u,\"udp:block_race_winner\":%u,\"udp:block_race_time\":%u,"
         "\"validation:block_connected\":%u,\"mempool:replaced\":%u}}\n",
         udp_block_reconstructed_semaphore, udp_block_reconstruction_detail_semaphore,
         udp_block_send_start_semaphore, udp_block_race_winner_semaphore,
         udp_block_race_time_semaphore, validation_block_connected_semaphore, mempool_replaced_semaphore);
  fflush(stdout);
}

static int active_count(void) {
  return (udp_block_reconstructed_semaphore > 0) + (udp_block_reconstruction_detail_semaphore > 0) +
         (udp_block_send_start_semaphore > 0) + (udp_block_race_winner_semaphore > 0) +
         (udp_block_race_time_semaphore > 0) + (validation_block_connected_semaphore > 0);
}

/* mempool:replaced and udp:block_reconstruction_detail draw from generators of their own, so enabling
 * them leaves every other probe's values as they were. */
static uint64_t replaced_rng = 0x2545F4914F6CDD1DULL;
static uint64_t replaced_rnd(void) { return xorshift(&replaced_rng); }
static uint64_t detail_rng = 0x9FB21C651E98DF25ULL;
static uint64_t detail_rnd(void) { return xorshift(&detail_rng); }

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
  _Bool by_tx = (b & 1) == 0;
  switch (b % 4) {
    case 0: old_vsize = INT32_MIN, old_fee = INT64_MIN, entry = UINT64_MAX, new_vsize = INT32_MAX, new_fee = INT64_MAX; break;
    case 1: old_vsize = -1, old_fee = -1, entry = 1ULL << 63, new_vsize = 0, new_fee = -123456789012LL; break;
    case 2: entry = 0; break;
    default: break;
  }
  STAP_PROBE8(mempool, replaced, replaced, old_vsize, old_fee, entry, replacement, new_vsize, new_fee, by_tx);
  /* 64-bit values as strings: JSON numbers lose precision beyond 2^53 in the tests that read them. */
  printf("{\"probe\":\"mempool:replaced\",\"height\":%d,\"replaced_vsize\":%d,\"replaced_fee\":\"%lld\","
         "\"replaced_entry_time\":\"%llu\",\"replacement_vsize\":%d,\"replacement_fee\":\"%lld\","
         "\"replaced_by_tx\":%d",
         h, old_vsize, (long long)old_fee, (unsigned long long)entry, new_vsize, (long long)new_fee, by_tx);
  put_hex("replaced_txid_hex", replaced, 32);
  put_hex("replacement_txid_hex", replacement, 32);
  printf("}\n");
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

static void usage(void) {
  fprintf(stderr,
          "usage: bitcoind-sim [-n BLOCKS] [-r RATE] [-s SEED] [-H HEIGHT] [-w SECS] [-k PROBES]\n"
          "                    [-R] [-x] [-e] [-u] [-l] [-d]\n"
          "  -n BLOCKS  blocks to fire (default 10; 0 = until SIGTERM)\n"
          "  -r RATE    blocks per second (default 0 = as fast as possible)\n"
          "  -s SEED    random seed (default 1)\n"
          "  -H HEIGHT  first block height (default 800000)\n"
          "  -w SECS    first wait until PROBES semaphores are enabled (exit 3 on timeout)\n"
          "  -k PROBES  how many semaphores -w waits for (default 4; mempool:replaced's is not counted)\n"
          "  -R         -w also waits for mempool:replaced's semaphore\n"
          "  -x         hostile peer strings (spaces, quotes, newlines, invalid UTF-8, 127 bytes)\n"
          "  -e         edge values: negative durations, zero chunks and times, reorgs\n"
          "  -u         connect time in microseconds, as bitcoind v23 and v24 pass it\n"
          "  -l         linger after the last block until SIGTERM (SIGUSR1 reports semaphores)\n"
          "  -d         udp:block_reconstruction_detail skips every third block (a block without detail)\n");
  exit(2);
}

int main(int argc, char **argv) {
  long blocks = 10, seed = 1, wait_s = 0, want = 4;
  int32_t height = 800000;
  double rate = 0;
  int hostile = 0, edge = 0, micros = 0, linger = 0, want_replaced = 0, skip_detail = 0, opt;
  while ((opt = getopt(argc, argv, "n:r:s:H:w:k:Rxeuldh")) != -1) {
    switch (opt) {
      case 'n': blocks = atol(optarg); break;
      case 'r': rate = atof(optarg); break;
      case 's': seed = atol(optarg); break;
      case 'H': height = (int32_t)atol(optarg); break;
      case 'w': wait_s = atol(optarg); break;
      case 'k': want = atol(optarg); break;
      case 'R': want_replaced = 1; break;
      case 'x': hostile = 1; break;
      case 'e': edge = 1; break;
      case 'u': micros = 1; break;
      case 'l': linger = 1; break;
      case 'd': skip_detail = 1; break;
      default: usage();
    }
  }
  rng ^= (uint64_t)seed * 0x9E3779B97F4A7C15ULL;
  if (rng == 0) rng = 1;
  replaced_rng ^= (uint64_t)seed * 0xBF58476D1CE4E5B9ULL;
  if (replaced_rng == 0) replaced_rng = 1;
  detail_rng ^= (uint64_t)seed * 0x94D049BB133111EBULL;
  if (detail_rng == 0) detail_rng = 1;
  signal(SIGTERM, on_stop);
  signal(SIGINT, on_stop);
  signal(SIGUSR1, on_report);
  printf("{\"started\":%d}\n", (int)getpid());
  fflush(stdout);

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
      int64_t connect = micros ? connect_ns / 1000 : connect_ns;
      STAP_PROBE6(validation, block_connected, hash, h, txs, inputs, sigops, connect);
      printf("{\"probe\":\"validation:block_connected\",\"height\":%d,\"tx_count\":%llu,\"inputs\":%d,"
             "\"sigops\":%lld,\"connect_time\":%lld",
             h, (unsigned long long)txs, inputs, (long long)sigops, (long long)connect);
      /* Display order, as bitcoind prints hashes: the probe's argument is the internal order, reversed. */
      put_str("hash_hex", hash_hex);
      printf("}\n");
    }
    if (ACTIVE(mempool, replaced)) fire_replaced(b, h);
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
