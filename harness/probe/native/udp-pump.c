// udp-pump: the resolver layer's UDP path to one server, many datagrams per
// system call. The probe worker (dns-client.ts) writes the queries it sends
// on stdin and reads every datagram the server sends back on stdout; it
// keeps all DNS logic (ids, matching, deadlines, TCP), this only moves bytes:
// sendmmsg for the queries of one read, recvmmsg for the answers of one wake.
//
//   udp-pump ADDRESS PORT
//
// Frames both ways: a 2-byte big-endian length, then that many bytes.
// A length of 0 on stdout is an error of the socket instead of a datagram:
// one byte of length, then errno's name (ECONNREFUSED when the network's
// ICMP unreachable came back). The connected socket hears those refusals
// as Node's did: on the next send or receive. Exits 0 at stdin's end.
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
#include <unistd.h>

#define BATCH 64
#define MAX_DGRAM 65536

static unsigned char rxbuf[BATCH][MAX_DGRAM];
static unsigned char inbuf[1 << 20];
static size_t inlen;
static unsigned char outbuf[1 << 20];
static size_t outlen;

static void die(const char *what) {
  fprintf(stderr, "udp-pump: %s: %s\n", what, strerror(errno));
  exit(2);
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

static void put_frame(const unsigned char *p, size_t n) {
  unsigned char len[2] = {(unsigned char)(n >> 8), (unsigned char)n};
  put(len, 2);
  put(p, n);
}

static void put_error(int e) {
  const char *name = strerrorname_np(e);
  char fallback[32];
  if (!name) {
    snprintf(fallback, sizeof fallback, "errno %d", e);
    name = fallback;
  }
  unsigned char head[3] = {0, 0, (unsigned char)strlen(name)};
  put(head, 3);
  put(name, head[2]);
}

/** An error that belongs to the server (a refusal the network sent back), not to this process. */
static int server_error(int e) {
  return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == EHOSTDOWN || e == ENONET || e == ENOPROTOOPT || e == EMSGSIZE || e == EOPNOTSUPP || e == EACCES || e == EPERM;
}

/** Sends every whole frame in inbuf, BATCH datagrams per sendmmsg; keeps a partial frame for the next read. */
static void send_frames(int sock) {
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  size_t off = 0;
  for (;;) {
    int k = 0;
    size_t at = off;
    while (k < BATCH && inlen - at >= 2) {
      size_t n = ((size_t)inbuf[at] << 8) | inbuf[at + 1];
      if (inlen - at - 2 < n) break;
      iov[k].iov_base = inbuf + at + 2;
      iov[k].iov_len = n;
      memset(&msgs[k].msg_hdr, 0, sizeof msgs[k].msg_hdr);
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
      k++;
      at += 2 + n;
    }
    if (k == 0) break;
    int sent = 0;
    while (sent < k) {
      int r = sendmmsg(sock, msgs + sent, (unsigned)(k - sent), 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == ENOBUFS) {
          struct pollfd p = {sock, POLLOUT, 0};
          poll(&p, 1, 100);
          continue;
        }
        if (!server_error(errno)) die("sendmmsg");
        // The refusal of an earlier datagram: reported, and this one goes out (the error is cleared).
        put_error(errno);
        continue;
      }
      sent += r;
    }
    off = at;
  }
  memmove(inbuf, inbuf + off, inlen - off);
  inlen -= off;
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
      put_error(errno);
      continue;
    }
    for (int i = 0; i < r; i++) {
      // A datagram of 0 bytes is not a DNS message: dropped, as it would be undecodable.
      if (msgs[i].msg_len > 0) put_frame(rxbuf[i], msgs[i].msg_len);
    }
    if (r < BATCH) return;
  }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: udp-pump ADDRESS PORT\n");
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
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) die("socket");
  int rcv = 4 << 20;
  setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  if (connect(sock, (struct sockaddr *)&to, sizeof to) < 0) die("connect");
  int open_in = 1;
  while (open_in) {
    struct pollfd p[2] = {{STDIN_FILENO, POLLIN, 0}, {sock, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (p[1].revents & (POLLIN | POLLERR)) receive(sock);
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(STDIN_FILENO, inbuf + inlen, sizeof inbuf - inlen);
      if (n < 0 && errno != EINTR && errno != EAGAIN) die("read");
      if (n == 0) open_in = 0;
      if (n > 0) {
        inlen += (size_t)n;
        send_frames(sock);
      }
    }
    flush_out();
  }
  flush_out();
  return 0;
}
