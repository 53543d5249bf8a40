// dns-check: whether DNS servers answer, asked from inside a namespace, in
// one short-lived process (a docker exec of it costs a tenth of a Node
// worker's start). Every target is asked at once, each on its own connected
// UDP socket, "localhost A" (answered from built-in data by every resolver
// and server the harness runs), again every 20 ms after a refusal or 250 ms
// of silence, as the probe worker's ready check does.
//
//   dns-check ready MS ADDR#PORT...    exit 0 once every target has answered;
//                                      exit 1 at MS, naming those that did not
//   dns-check silent MS ADDR#PORT...   exit 0 if no target answered within MS;
//                                      exit 3 at the first answer, naming it
//
// An answer is a response (QR) with the query's id and question. Exit 64 on
// bad arguments, 2 when a socket cannot be made.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_TARGETS 64
#define ANSWER_WAIT_MS 250
#define RETRY_MS 20

// localhost. A IN, after the 12-byte header.
static const unsigned char QUESTION[] = {9, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', 0, 0, 1, 0, 1};

struct target {
  const char *spec;
  int sock;
  uint16_t id;
  int answered;
  int64_t resend_at; // when the next query goes out
};

static int64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int open_target(struct target *t) {
  char addr[64];
  const char *hash = strrchr(t->spec, '#');
  size_t n = hash ? (size_t)(hash - t->spec) : strlen(t->spec);
  if (n == 0 || n >= sizeof addr) return -1;
  memcpy(addr, t->spec, n);
  addr[n] = 0;
  long port = hash ? strtol(hash + 1, NULL, 10) : 53;
  if (port <= 0 || port > 65535) return -1;
  struct sockaddr_storage ss = {0};
  socklen_t len;
  struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    len = sizeof *v6;
  } else {
    return -1;
  }
  t->sock = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (t->sock < 0) return -2;
  // Connected: the network's refusals (ICMP unreachable) come back as errors on this socket.
  if (connect(t->sock, (struct sockaddr *)&ss, len) < 0) return -2;
  return 0;
}

static void ask(struct target *t, int64_t now) {
  unsigned char q[12 + sizeof QUESTION];
  if (getrandom(&t->id, sizeof t->id, 0) != sizeof t->id) t->id = (uint16_t)(now ^ (intptr_t)t);
  memset(q, 0, 12);
  q[0] = (unsigned char)(t->id >> 8);
  q[1] = (unsigned char)t->id;
  q[2] = 0x01; // RD
  q[5] = 1;    // QDCOUNT
  memcpy(q + 12, QUESTION, sizeof QUESTION);
  // A refused send (an earlier query's ICMP unreachable) counts as no answer yet.
  t->resend_at = send(t->sock, q, sizeof q, 0) < 0 ? now + RETRY_MS : now + ANSWER_WAIT_MS + RETRY_MS;
}

/** Reads what came back: 1 when it is the answer to the query in flight. */
static int heard(struct target *t, int64_t now) {
  unsigned char buf[4096];
  for (;;) {
    ssize_t n = recv(t->sock, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) t->resend_at = now + RETRY_MS; // refused: asked again soon
      return 0;
    }
    if ((size_t)n < 12 + sizeof QUESTION) continue;
    if (((buf[0] << 8) | buf[1]) != t->id || !(buf[2] & 0x80) || ((buf[4] << 8) | buf[5]) != 1) continue;
    // The question as asked; a resolver may change the case of the name.
    if (strncasecmp((const char *)buf + 12, (const char *)QUESTION, 10) != 0 || memcmp(buf + 22, QUESTION + 10, 5) != 0) continue;
    return 1;
  }
}

int main(int argc, char **argv) {
  if (argc < 4 || (strcmp(argv[1], "ready") != 0 && strcmp(argv[1], "silent") != 0) || argc - 3 > MAX_TARGETS) {
    fprintf(stderr, "usage: dns-check ready|silent MS ADDR#PORT... (at most %d)\n", MAX_TARGETS);
    return 64;
  }
  int silent = strcmp(argv[1], "silent") == 0;
  char *end;
  long ms = strtol(argv[2], &end, 10);
  if (*end || ms < 0) {
    fprintf(stderr, "dns-check: not a time in ms: %s\n", argv[2]);
    return 64;
  }
  struct target ts[MAX_TARGETS];
  int n = argc - 3;
  int64_t start = now_ms();
  int64_t deadline = start + ms;
  for (int i = 0; i < n; i++) {
    ts[i] = (struct target){.spec = argv[3 + i], .sock = -1, .resend_at = start};
    int r = open_target(&ts[i]);
    if (r == -1) {
      fprintf(stderr, "dns-check: not ADDRESS#PORT: %s\n", ts[i].spec);
      return 64;
    }
    if (r < 0) {
      fprintf(stderr, "dns-check: %s: %s\n", ts[i].spec, strerror(errno));
      return 2;
    }
  }
  int waiting = n;
  for (;;) {
    int64_t now = now_ms();
    if (now >= deadline) break;
    int64_t wake = deadline;
    struct pollfd p[MAX_TARGETS];
    for (int i = 0; i < n; i++) {
      p[i] = (struct pollfd){.fd = ts[i].answered ? -1 : ts[i].sock, .events = POLLIN};
      if (ts[i].answered) continue;
      if (ts[i].resend_at <= now) ask(&ts[i], now);
      if (ts[i].resend_at < wake) wake = ts[i].resend_at;
    }
    if (poll(p, (nfds_t)n, (int)(wake - now)) < 0 && errno != EINTR) {
      perror("dns-check: poll");
      return 2;
    }
    now = now_ms();
    for (int i = 0; i < n; i++) {
      if (ts[i].answered || !(p[i].revents & (POLLIN | POLLERR))) continue;
      if (!heard(&ts[i], now)) continue;
      if (silent) {
        printf("%s answered\n", ts[i].spec);
        return 3;
      }
      ts[i].answered = 1;
      if (--waiting == 0) return 0;
    }
  }
  if (silent) return 0;
  for (int i = 0; i < n; i++)
    if (!ts[i].answered) printf("%s did not answer within %ld ms\n", ts[i].spec, ms);
  return 1;
}
