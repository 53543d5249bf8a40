// udp-pump: the resolver layer's UDP path to one server. The probe worker
// (dns-client.ts) writes its queries on stdin as it makes them; the pump
// keeps at most WINDOW of them in flight to the server, sends the next one
// as soon as one is answered or timed out, and writes back on stdout the
// answer to each query (with the time it took) or its timeout. So the window
// is refilled here, at the server's pace, as dnsperf refills its own, and not
// at the pace of a round trip through the worker's event loop. The worker
// keeps the DNS logic (ids, decoding, TCP); this moves bytes, matches
// answers to the queries in flight (id and question) and keeps time:
// sendmmsg for the queries that fit the window, recvmmsg for the answers of
// one wake.
//
//   udp-pump ADDRESS PORT WINDOW
//
// stdin, one frame per query: a 2-byte big-endian length N, then a 4-byte
// big-endian timeout in milliseconds (counted from the query's send), then the
// query (N - 4 bytes). Its first two bytes are its id: the worker keeps the
// ids of the queries it holds distinct; a query whose id is already in flight
// here takes that id over (the worker has given up on the earlier one).
//
// stdout, one frame per event: a kind byte, a 2-byte big-endian length, then
//   'A' 4-byte elapsed microseconds, then the datagram: the answer to a query
//       in flight (same id; same question name, case aside, and type)
//   'T' 2-byte id, 4-byte elapsed microseconds: no answer within its timeout
//   'E' errno's name: the network refused the server (ECONNREFUSED when its
//       ICMP unreachable came back); every query held here, sent or waiting,
//       is dropped, as the worker ends every query waiting on the server.
// Datagrams that answer nothing in flight are dropped. The connected socket
// hears refusals as Node's did: on the next send or receive.
// Exits 0 at stdin's end; 2 on a failure of its own; 64 on bad arguments.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_DGRAM 65536
#define MAX_QUERY 512

static unsigned char rxbuf[BATCH][MAX_DGRAM];
static unsigned char inbuf[1 << 20];
static size_t inlen;
static unsigned char outbuf[1 << 20];
static size_t outlen;

/** A query waiting for room in the window. */
typedef struct {
  uint32_t timeout_ms;
  uint16_t len;
  unsigned char bytes[MAX_QUERY];
} queued_t;

/** A query in flight: what its answer must repeat, and when it times out. */
typedef struct {
  uint64_t sent_ns, deadline_ns;
  uint16_t id;
  uint16_t name_len; // the question's name, in wire form
  unsigned char question[MAX_QUERY]; // name, then type and class
} flight_t;

static queued_t *queue;
static size_t qcap, qhead, qcount; // a ring

static flight_t *flights;
static int *free_slots;
static int nfree;
static int window;
static int slot_of[65536]; // id -> flight slot, or -1

static void die(const char *what) {
  fprintf(stderr, "udp-pump: %s: %s\n", what, strerror(errno));
  exit(2);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void flush_out(void) {
  size_t off = 0;
  while (off < outlen) {
    ssize_t n = write(STDOUT_FILENO, outbuf + off, outlen - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      exit(0); // the worker is gone
    }
    off += (size_t)n;
  }
  outlen = 0;
}

static void put(const void *p, size_t n) {
  if (outlen + n > sizeof outbuf) flush_out();
  memcpy(outbuf + outlen, p, n);
  outlen += n;
}

static void put_head(char kind, size_t len) {
  unsigned char h[3] = {(unsigned char)kind, (unsigned char)(len >> 8), (unsigned char)len};
  put(h, 3);
}

static void put_u32(uint32_t v) {
  unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
  put(b, 4);
}

static uint32_t elapsed_us(const flight_t *f, uint64_t now) {
  uint64_t us = (now - f->sent_ns) / 1000;
  return us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/** Whether a flight slot holds a query (a released slot's id maps elsewhere, or nowhere). */
static int in_use(int slot) { return slot_of[flights[slot].id] == slot; }

static void release(int slot) {
  slot_of[flights[slot].id] = -1;
  free_slots[nfree++] = slot;
}

/** The network refused the server: reported once, and nothing held here is asked or awaited any more. */
static void refused(int e) {
  const char *name = strerrorname_np(e);
  char fallback[32];
  if (!name) {
    snprintf(fallback, sizeof fallback, "errno %d", e);
    name = fallback;
  }
  size_t n = strlen(name);
  put_head('E', n);
  put(name, n);
  for (int s = 0; s < window; s++)
    if (in_use(s)) release(s);
  qhead = qcount = 0;
}

/** An error that belongs to the server (a refusal the network sent back), not to this process. */
static int server_error(int e) {
  return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == EHOSTDOWN || e == ENONET || e == ENOPROTOOPT || e == EMSGSIZE || e == EOPNOTSUPP || e == EACCES || e == EPERM;
}

static queued_t *queued_at(size_t k) { return &queue[(qhead + k) % qcap]; }

static void enqueue(const unsigned char *frame, size_t n) {
  if (n < 4 + 12 || n - 4 > MAX_QUERY) {
    fprintf(stderr, "udp-pump: a query frame of %zu bytes (expected 16 to %d)\n", n, 4 + MAX_QUERY);
    exit(2);
  }
  if (qcount == qcap) {
    size_t cap = qcap ? qcap * 2 : 256;
    queued_t *q = malloc(cap * sizeof *q);
    if (!q) die("malloc");
    for (size_t k = 0; k < qcount; k++) q[k] = *queued_at(k);
    free(queue);
    queue = q;
    qcap = cap;
    qhead = 0;
  }
  queued_t *e = &queue[(qhead + qcount) % qcap];
  e->timeout_ms = ((uint32_t)frame[0] << 24) | ((uint32_t)frame[1] << 16) | ((uint32_t)frame[2] << 8) | frame[3];
  e->len = (uint16_t)(n - 4);
  memcpy(e->bytes, frame + 4, n - 4);
  qcount++;
}

/** Takes every whole frame in inbuf into the queue; keeps a partial frame for the next read. */
static void take_frames(void) {
  size_t at = 0;
  while (inlen - at >= 2) {
    size_t n = ((size_t)inbuf[at] << 8) | inbuf[at + 1];
    if (inlen - at - 2 < n) break;
    enqueue(inbuf + at + 2, n);
    at += 2 + n;
  }
  memmove(inbuf, inbuf + at, inlen - at);
  inlen -= at;
}

/** The query's question (after the 12-byte header): the name's wire length, or 0 if it is not whole. */
static size_t name_length(const unsigned char *q, size_t len) {
  size_t at = 12;
  while (at < len) {
    unsigned l = q[at];
    if (l == 0) return at + 1 - 12;
    if (l > 63) return 0;
    at += 1 + l;
  }
  return 0;
}

static void in_flight(const queued_t *e, uint64_t now) {
  uint16_t id = (uint16_t)((e->bytes[0] << 8) | e->bytes[1]);
  if (slot_of[id] >= 0) release(slot_of[id]); // the worker has given up on the earlier query of this id
  int slot = free_slots[--nfree];
  flight_t *f = &flights[slot];
  f->id = id;
  f->sent_ns = now;
  f->deadline_ns = now + (uint64_t)e->timeout_ms * 1000000u;
  size_t nl = name_length(e->bytes, e->len);
  // A question that is not whole (never one the worker encodes) is matched on its id alone.
  f->name_len = (uint16_t)(nl && 12 + nl + 2 <= e->len ? nl : 0);
  memcpy(f->question, e->bytes + 12, f->name_len ? f->name_len + 2 : 0);
  slot_of[id] = slot;
}

/** Sends waiting queries while the window has room, BATCH datagrams per sendmmsg. */
static void send_queued(int sock) {
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  while (qcount > 0 && nfree > 0) {
    int k = 0;
    while (k < BATCH && (size_t)k < qcount && k < nfree) {
      queued_t *e = queued_at((size_t)k);
      iov[k].iov_base = e->bytes;
      iov[k].iov_len = e->len;
      memset(&msgs[k].msg_hdr, 0, sizeof msgs[k].msg_hdr);
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
      k++;
    }
    int r = sendmmsg(sock, msgs, (unsigned)k, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == ENOBUFS) {
        struct pollfd p = {sock, POLLOUT, 0};
        poll(&p, 1, 100);
        continue;
      }
      if (!server_error(errno)) die("sendmmsg");
      refused(errno);
      return;
    }
    uint64_t now = now_ns();
    for (int i = 0; i < r; i++) in_flight(queued_at((size_t)i), now);
    qhead = (qhead + (size_t)r) % qcap;
    qcount -= (size_t)r;
  }
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/** The query in flight this datagram answers: same id, same question name (case aside) and type; else -1. */
static int answered(const unsigned char *d, size_t n) {
  if (n < 12) return -1;
  int slot = slot_of[(d[0] << 8) | d[1]];
  if (slot < 0) return -1;
  const flight_t *f = &flights[slot];
  if (f->name_len == 0) return slot;
  if (((d[4] << 8) | d[5]) < 1 || n < 12 + (size_t)f->name_len + 2) return -1;
  for (size_t i = 0; i < f->name_len; i++)
    if (lower(d[12 + i]) != lower(f->question[i])) return -1;
  if (memcmp(d + 12 + f->name_len, f->question + f->name_len, 2) != 0) return -1;
  return slot;
}

static void receive(int sock) {
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = rxbuf[i];
    iov[i].iov_len = MAX_DGRAM;
    memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  for (;;) {
    int r = recvmmsg(sock, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (!server_error(errno)) die("recvmmsg");
      refused(errno);
      continue;
    }
    uint64_t now = now_ns();
    for (int i = 0; i < r; i++) {
      size_t n = msgs[i].msg_len;
      int slot = answered(rxbuf[i], n);
      if (slot < 0 || n > 0xffff - 4) continue;
      put_head('A', 4 + n);
      put_u32(elapsed_us(&flights[slot], now));
      put(rxbuf[i], n);
      release(slot);
    }
    if (r < BATCH) return;
  }
}

/** Ends the queries whose time is up; returns the milliseconds until the next one's, or -1 if none is in flight. */
static int expire(void) {
  if (nfree == window) return -1;
  uint64_t now = now_ns(), next = UINT64_MAX;
  for (int s = 0; s < window; s++) {
    flight_t *f = &flights[s];
    if (!in_use(s)) continue;
    if (f->deadline_ns <= now) {
      put_head('T', 6);
      unsigned char id[2] = {(unsigned char)(f->id >> 8), (unsigned char)f->id};
      put(id, 2);
      put_u32(elapsed_us(f, now));
      release(s);
    } else if (f->deadline_ns < next) next = f->deadline_ns;
  }
  return next == UINT64_MAX ? -1 : (int)((next - now + 999999) / 1000000);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: udp-pump ADDRESS PORT WINDOW\n");
    return 64;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL); // never outlives the worker
  signal(SIGPIPE, SIG_IGN);
  struct sockaddr_in to = {0};
  to.sin_family = AF_INET;
  to.sin_port = htons((uint16_t)atoi(argv[2]));
  if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
    fprintf(stderr, "udp-pump: not an IPv4 address: %s\n", argv[1]);
    return 64;
  }
  window = atoi(argv[3]);
  if (window < 1 || window > 65536) {
    fprintf(stderr, "udp-pump: WINDOW must be 1 to 65536, not %s\n", argv[3]);
    return 64;
  }
  flights = calloc((size_t)window, sizeof *flights);
  free_slots = malloc((size_t)window * sizeof *free_slots);
  if (!flights || !free_slots) die("malloc");
  for (int s = window - 1; s >= 0; s--) free_slots[nfree++] = s;
  for (int id = 0; id < 65536; id++) slot_of[id] = -1;
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) die("socket");
  int rcv = 4 << 20;
  setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  if (connect(sock, (struct sockaddr *)&to, sizeof to) < 0) die("connect");
  int wait_ms = -1;
  for (;;) {
    struct pollfd p[2] = {{STDIN_FILENO, POLLIN, 0}, {sock, POLLIN, 0}};
    if (poll(p, 2, wait_ms) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (p[1].revents & (POLLIN | POLLERR)) receive(sock);
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(STDIN_FILENO, inbuf + inlen, sizeof inbuf - inlen);
      if (n < 0 && errno != EINTR && errno != EAGAIN) die("read");
      if (n == 0) break;
      if (n > 0) {
        inlen += (size_t)n;
        take_frames();
      }
    }
    expire();
    send_queued(sock);
    wait_ms = expire(); // until the first deadline, of what was just sent too
    flush_out();
  }
  flush_out();
  return 0;
}
