/* webhook_receiver.c: a scripted HTTP receiver on 127.0.0.1 that checks Standard Webhooks signatures (tests only). */
/*
 * usage: webhook_receiver --secret SECRET --log FILE --port-file FILE
 *                         [--control FILE] [--port N] [--lifetime SECONDS]
 *
 * Listens on 127.0.0.1 (port N, default any), writes the port to the port
 * file (and stdout), and answers each connection according to the control
 * file: whitespace-separated modes, each connection takes (and removes)
 * the first one, the last one stays for every later connection (no file:
 * "200"). A test changes the script by rewriting the file.
 *
 *   200   200 OK                   503   503 with Retry-After: 1
 *   500   500 without Retry-After  410   410 Gone
 *   400   400 Bad Request          301   redirect to /moved on this receiver
 *   big   200 with a 100 MB body   hang  read the request, never answer
 *
 * Every request is logged as one line, tab-separated:
 *   webhook-id  webhook-timestamp  verified(yes|no|none)  path  body
 * where verified applies the Standard Webhooks algorithm: the key is the
 * base64 after "whsec_" (else the secret's bytes), the expected signature
 * is base64(HMAC-SHA256(key, id "." timestamp "." body)), one of the
 * header's space-separated "v1,<sig>" entries must match in constant time,
 * and the timestamp must be within 5 minutes of now.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define MAX_HEAD (64 * 1024)
#define MAX_BODY (1024 * 1024)
#define BIG_BODY (100L * 1024 * 1024)
#define TOLERANCE_S 300

typedef struct options {
	const char *secret;
	const char *log;
	const char *port_file;
	const char *control;
	long port;
	long lifetime;
} options;

typedef struct request {
	char head[MAX_HEAD + 1];
	size_t head_len;
	char *body;
	size_t body_len;
	char path[512];
	char id[256];
	char timestamp[64];
	char signature[2048];
} request;

static void die(const char *what)
{
	fprintf(stderr, "webhook_receiver: %s: %s\n", what, strerror(errno));
	exit(2);
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The mode for the next connection: the control file's first word, which is
 * consumed (the file is rewritten without it) unless it is the last one.
 * Only the accepting process calls this, one connection at a time.
 */
static void next_mode(char *mode, size_t size, const char *control)
{
	char text[4096], rest[4096], tmp[4096];
	size_t len = 0, rest_len = 0;
	int fd, words = 0;
	char *p, *save = NULL, *tok;

	snprintf(mode, size, "200");
	if (!control || (fd = open(control, O_RDONLY)) < 0)
		return;
	for (;;) {
		ssize_t n = read(fd, text + len, sizeof(text) - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	text[len] = '\0';
	rest[0] = '\0';
	for (p = text; (tok = strtok_r(p, " \t\r\n", &save)) != NULL; p = NULL) {
		if (words++ == 0) {
			snprintf(mode, size, "%s", tok);
			continue;
		}
		rest_len += (size_t)snprintf(rest + rest_len,
			sizeof(rest) - rest_len, "%s ", tok);
		if (rest_len >= sizeof(rest))
			return;
	}
	if (words < 2)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", control);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return;
	if (write_all(fd, rest, rest_len) == 0 && close(fd) == 0)
		rename(tmp, control);
	else
		close(fd);
}

/* Copies the value of header `name` (case-insensitive) into `out`. */
static void header_value(char *out, size_t size, const char *head,
	const char *name)
{
	const char *line = strstr(head, "\r\n");
	size_t n = strlen(name);

	out[0] = '\0';
	while (line && line[2]) {
		const char *start = line + 2, *end = strstr(start, "\r\n");

		if (!end)
			break;
		if ((size_t)(end - start) > n && start[n] == ':' &&
		    strncasecmp(start, name, n) == 0) {
			const char *v = start + n + 1;

			while (*v == ' ' || *v == '\t')
				v++;
			snprintf(out, size, "%.*s", (int)(end - v), v);
			return;
		}
		line = end;
	}
}

static int read_request(int fd, request *req)
{
	char *end = NULL, length[32];
	long content_length;
	size_t have;

	memset(req, 0, sizeof(*req));
	while (!end) {
		ssize_t n;

		if (req->head_len >= MAX_HEAD)
			return -1;
		n = read(fd, req->head + req->head_len, MAX_HEAD - req->head_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		req->head_len += (size_t)n;
		req->head[req->head_len] = '\0';
		end = strstr(req->head, "\r\n\r\n");
	}
	end += 4;
	have = req->head_len - (size_t)(end - req->head);
	header_value(length, sizeof(length), req->head, "content-length");
	content_length = strtol(length, NULL, 10);
	if (content_length < 0 || content_length > MAX_BODY)
		return -1;
	req->body = calloc(1, (size_t)content_length + 1);
	if (!req->body)
		return -1;
	if (have > (size_t)content_length)
		have = (size_t)content_length;
	memcpy(req->body, end, have);
	req->body_len = have;
	while (req->body_len < (size_t)content_length) {
		ssize_t n = read(fd, req->body + req->body_len,
			(size_t)content_length - req->body_len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		req->body_len += (size_t)n;
	}
	/* "POST /hook HTTP/1.1" */
	{
		const char *sp = strchr(req->head, ' ');
		const char *sp2 = sp ? strchr(sp + 1, ' ') : NULL;

		if (sp && sp2)
			snprintf(req->path, sizeof(req->path), "%.*s",
				(int)(sp2 - sp - 1), sp + 1);
	}
	header_value(req->id, sizeof(req->id), req->head, "webhook-id");
	header_value(req->timestamp, sizeof(req->timestamp), req->head,
		"webhook-timestamp");
	header_value(req->signature, sizeof(req->signature), req->head,
		"webhook-signature");
	return 0;
}

/* "yes", "no", or "none" (no signature header at all). */
static const char *verify(const request *req, const char *secret)
{
	unsigned char key[1024], mac[EVP_MAX_MD_SIZE], expected[128];
	unsigned int mac_len = 0;
	size_t key_len, secret_len = strlen(secret), msg_len;
	char *msg, *sigs, *p, *save = NULL, *tok;
	long ts;
	int ok = 0;

	if (!req->signature[0])
		return "none";
	if (strncmp(secret, "whsec_", 6) == 0) {
		int n = EVP_DecodeBlock(key, (const unsigned char *)secret + 6,
			(int)(secret_len - 6));

		if (n < 0)
			return "no";
		key_len = (size_t)n;
		if (secret[secret_len - 1] == '=')
			key_len--;
		if (secret[secret_len - 2] == '=')
			key_len--;
	} else {
		if (secret_len > sizeof(key))
			return "no";
		memcpy(key, secret, secret_len);
		key_len = secret_len;
	}
	ts = strtol(req->timestamp, NULL, 10);
	if (labs((long)time(NULL) - ts) > TOLERANCE_S)
		return "no";
	msg_len = strlen(req->id) + strlen(req->timestamp) + req->body_len + 2;
	msg = malloc(msg_len + 1);
	if (!msg)
		return "no";
	snprintf(msg, msg_len + 1, "%s.%s.", req->id, req->timestamp);
	memcpy(msg + strlen(req->id) + strlen(req->timestamp) + 2, req->body,
		req->body_len);
	HMAC(EVP_sha256(), key, (int)key_len, (unsigned char *)msg, msg_len,
		mac, &mac_len);
	free(msg);
	EVP_EncodeBlock(expected, mac, (int)mac_len);
	sigs = strdup(req->signature);
	for (p = sigs; sigs && (tok = strtok_r(p, " ", &save)) != NULL; p = NULL) {
		size_t n = strlen((char *)expected);

		if (strncmp(tok, "v1,", 3) == 0 && strlen(tok + 3) == n &&
		    CRYPTO_memcmp(tok + 3, expected, n) == 0)
			ok = 1;
	}
	free(sigs);
	return ok ? "yes" : "no";
}

static void log_request(const options *opt, const request *req)
{
	size_t size = req->body_len + 4096;
	char *line = malloc(size);
	int fd, n;

	if (!line)
		return;
	n = snprintf(line, size, "%s\t%s\t%s\t%s\t%.*s\n",
		req->id[0] ? req->id : "-",
		req->timestamp[0] ? req->timestamp : "-",
		verify(req, opt->secret), req->path, (int)req->body_len,
		req->body);
	fd = open(opt->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	/* One write per line: concurrent children never interleave. */
	if (fd >= 0 && n > 0) {
		write_all(fd, line, (size_t)n < size ? (size_t)n : size - 1);
		close(fd);
	}
	free(line);
}

static void respond(int fd, const char *mode, long port)
{
	char buf[512];

	if (strcmp(mode, "503") == 0) {
		snprintf(buf, sizeof(buf), "HTTP/1.1 503 Service Unavailable\r\n"
			"Retry-After: 1\r\nContent-Length: 4\r\n"
			"Connection: close\r\n\r\nbusy");
	} else if (strcmp(mode, "500") == 0) {
		snprintf(buf, sizeof(buf), "HTTP/1.1 500 Internal Server Error\r\n"
			"Content-Length: 4\r\nConnection: close\r\n\r\noops");
	} else if (strcmp(mode, "410") == 0) {
		snprintf(buf, sizeof(buf), "HTTP/1.1 410 Gone\r\n"
			"Content-Length: 4\r\nConnection: close\r\n\r\ngone");
	} else if (strcmp(mode, "400") == 0) {
		snprintf(buf, sizeof(buf), "HTTP/1.1 400 Bad Request\r\n"
			"Content-Length: 3\r\nConnection: close\r\n\r\nbad");
	} else if (strcmp(mode, "301") == 0) {
		snprintf(buf, sizeof(buf), "HTTP/1.1 301 Moved Permanently\r\n"
			"Location: http://127.0.0.1:%ld/moved\r\n"
			"Content-Length: 0\r\nConnection: close\r\n\r\n", port);
	} else if (strcmp(mode, "big") == 0) {
		static char chunk[65536];
		long sent = 0;

		snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n"
			"Content-Length: %ld\r\nConnection: close\r\n\r\n",
			BIG_BODY);
		if (write_all(fd, buf, strlen(buf)) != 0)
			return;
		memset(chunk, 'x', sizeof(chunk));
		while (sent < BIG_BODY &&
		       write_all(fd, chunk, sizeof(chunk)) == 0)
			sent += (long)sizeof(chunk);
		return;
	} else if (strcmp(mode, "hang") == 0) {
		struct pollfd p;
		char sink[256];

		/* Until the client gives up and closes (or the child's alarm). */
		p.fd = fd;
		p.events = POLLIN;
		while (poll(&p, 1, 60000) > 0 && read(fd, sink, sizeof(sink)) > 0)
			;
		return;
	} else {
		snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n"
			"Content-Length: 2\r\nConnection: close\r\n\r\nok");
	}
	write_all(fd, buf, strlen(buf));
}

static void parse_args(options *opt, int argc, char **argv)
{
	int i;

	memset(opt, 0, sizeof(*opt));
	opt->lifetime = 300;
	for (i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (strcmp(k, "--secret") == 0)
			opt->secret = v;
		else if (strcmp(k, "--log") == 0)
			opt->log = v;
		else if (strcmp(k, "--port-file") == 0)
			opt->port_file = v;
		else if (strcmp(k, "--control") == 0)
			opt->control = v;
		else if (strcmp(k, "--port") == 0)
			opt->port = strtol(v, NULL, 10);
		else if (strcmp(k, "--lifetime") == 0)
			opt->lifetime = strtol(v, NULL, 10);
	}
	if (i != argc || !opt->secret || !opt->log || !opt->port_file) {
		fprintf(stderr, "usage: webhook_receiver --secret S --log FILE "
			"--port-file FILE [--control FILE] [--port N] "
			"[--lifetime S]\n");
		exit(2);
	}
}

static void write_port_file(const char *path, long port)
{
	char tmp[4096], text[32];
	int fd, n;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	n = snprintf(text, sizeof(text), "%ld\n", port);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write_all(fd, text, (size_t)n) != 0 || close(fd) != 0 ||
	    rename(tmp, path) != 0)
		die("cannot write the port file");
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr;
	struct sigaction sa;
	socklen_t addr_len = sizeof(addr);
	options opt;
	long port;
	int srv, one = 1;

	parse_args(&opt, argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* Children reap themselves; the receiver never waits on them. */
	sa.sa_flags = SA_NOCLDWAIT;
	sigaction(SIGCHLD, &sa, NULL);
	/* Never outlive a test that forgot to stop the receiver. */
	alarm((unsigned)opt.lifetime);

	srv = socket(AF_INET, SOCK_STREAM, 0);
	if (srv < 0)
		die("socket");
	setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons((unsigned short)opt.port);
	if (bind(srv, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		die("bind");
	if (listen(srv, 16) != 0)
		die("listen");
	if (getsockname(srv, (struct sockaddr *)&addr, &addr_len) != 0)
		die("getsockname");
	port = ntohs(addr.sin_port);
	printf("%ld\n", port);
	fflush(stdout);
	write_port_file(opt.port_file, port);

	for (;;) {
		char mode[64];
		pid_t pid;
		int conn = accept(srv, NULL, NULL);

		if (conn < 0) {
			if (errno == EINTR)
				continue;
			die("accept");
		}
		next_mode(mode, sizeof(mode), opt.control);
		pid = fork();
		if (pid == 0) {
			request req;

			close(srv);
			alarm(60);
			if (read_request(conn, &req) == 0) {
				log_request(&opt, &req);
				respond(conn, mode, port);
			}
			free(req.body);
			close(conn);
			_exit(0);
		}
		close(conn);
	}
}
