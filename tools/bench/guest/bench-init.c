// SPDX-License-Identifier: GPL-2.0
/*
 * The final init of a benchmark boot.
 *
 * As PID 1 it reads the TSC and CLOCK_BOOTTIME (the clock of /proc/uptime,
 * in ns instead of 10 ms steps) before anything else. Under QEMU -icount the
 * TSC counts virtual nanoseconds since power-on, exactly; CLOCK_BOOTTIME
 * starts later and, until the kernel leaves the jiffies clocksource, moves
 * in 4 ms ticks. Then it takes memory snapshots, describes the root mount
 * and the payload, dumps the kernel log, one "bench: " line per fact, and
 * reboots (QEMU exits).
 *
 * "bench-init snap FILE" writes one memory snapshot to FILE: the outer
 * inits of the workarounds call it at their peak, before switch_root.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

static long meminfo_kb(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static size_t slurp(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 0;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return len;
}

/*
 * MemFree leaves out the pages on the per-cpu free lists; a freshly drained
 * initrd can park ~150 MB there. Sum the pagesets' "count:" lines so the
 * host can count them as free.
 */
static long pcp_pages(void)
{
	static char buf[1 << 16];
	long pages = 0;
	char *p = buf;

	slurp("/proc/zoneinfo", buf, sizeof(buf));
	while ((p = strstr(p, "count:"))) {
		p += strlen("count:");
		pages += strtol(p, &p, 10);
	}
	return pages;
}

static void snapshot(FILE *out, const char *name)
{
	static char buf[8192];

	slurp("/proc/meminfo", buf, sizeof(buf));
	fprintf(out,
		"bench: mem %s total_kb=%ld free_kb=%ld available_kb=%ld shmem_kb=%ld pcp_kb=%ld\n",
		name, meminfo_kb(buf, "MemTotal:"), meminfo_kb(buf, "MemFree:"),
		meminfo_kb(buf, "MemAvailable:"), meminfo_kb(buf, "Shmem:"),
		pcp_pages() * (sysconf(_SC_PAGESIZE) / 1024));
}

/* Fields 1, 2 and the file system type of the mount at "/". */
static void root_mount(void)
{
	static char buf[1 << 16];
	char *line, *save;

	slurp("/proc/self/mountinfo", buf, sizeof(buf));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int id, parent;
		char root[256], point[256], type[64];
		const char *sep = strstr(line, " - ");

		if (sscanf(line, "%d %d %*s %255s %255s", &id, &parent, root, point) != 4 ||
		    !sep || sscanf(sep + 3, "%63s", type) != 1 || strcmp(point, "/"))
			continue;
		printf("bench: root id=%d parent=%d fstype=%s\n", id, parent, type);
	}
}

/* The payload arrived whole: its file count and bytes. */
static void payload(void)
{
	DIR *dir = opendir("/payload");
	long long bytes = 0;
	struct dirent *d;
	struct stat st;
	long files = 0;

	if (!dir || chdir("/payload")) {
		printf("bench: error /payload: %s\n", strerror(errno));
		return;
	}
	while ((d = readdir(dir)))
		if (!lstat(d->d_name, &st) && S_ISREG(st.st_mode)) {
			files++;
			bytes += st.st_size;
		}
	closedir(dir);
	chdir("/");
	printf("bench: payload files=%ld bytes=%lld\n", files, bytes);
}

static void kernel_log(void)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf = size > 0 ? malloc(size + 1) : NULL;
	char *line, *save;
	int n;

	if (!buf || (n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size)) < 0) {
		printf("bench: error klogctl: %s\n", strerror(errno));
		return;
	}
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		printf("bench: klog %s\n", line);
	free(buf);
}

int main(int argc, char **argv)
{
	unsigned long long tsc0 = __rdtsc(), tsc1;
	struct timespec t0, t1;
	FILE *out;

	clock_gettime(CLOCK_BOOTTIME, &t0);
	if (argc == 3 && !strcmp(argv[1], "snap")) {
		out = fopen(argv[2], "w");
		if (!out)
			return 1;
		snapshot(out, "peak");
		return fclose(out) ? 1 : 0;
	}
	mkdir("/proc", 0755);
	if (mount("proc", "/proc", "proc", 0, NULL) && errno != EBUSY)
		printf("bench: error mount /proc: %s\n", strerror(errno));
	printf("bench: init_tsc=%llu\n", tsc0);
	printf("bench: init_ns=%lld\n", t0.tv_sec * 1000000000LL + t0.tv_nsec);
	snapshot(stdout, "init");
	/* What the outer init of a workaround saw before switch_root. */
	if (!access("/bench-peak", R_OK)) {
		static char buf[512];

		slurp("/bench-peak", buf, sizeof(buf));
		fputs(buf, stdout);
	}
	root_mount();
	payload();
	/* Steady state: let deferred work (per-cpu list draining) settle. */
	sleep(2);
	snapshot(stdout, "steady");
	tsc1 = __rdtsc();
	clock_gettime(CLOCK_BOOTTIME, &t1);
	printf("bench: steady_tsc=%llu\n", tsc1);
	printf("bench: steady_ns=%lld\n", t1.tv_sec * 1000000000LL + t1.tv_nsec);
	kernel_log();
	printf("bench: done\n");
	fflush(stdout);
	sync();
	reboot(RB_AUTOBOOT);
	return 0;
}
