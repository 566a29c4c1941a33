// SPDX-License-Identifier: GPL-2.0
/*
 * The final init of a benchmark boot.
 *
 * As PID 1 it reads the TSC and CLOCK_BOOTTIME (the clock of /proc/uptime,
 * in ns instead of 10 ms steps) before anything else. Under QEMU -icount the
 * TSC counts virtual nanoseconds since power-on, exactly; CLOCK_BOOTTIME
 * starts later and, until the kernel leaves the jiffies clocksource, moves
 * in 4 ms ticks. Then it takes memory snapshots, describes the root mount
 * and the payload. Then it leaves the initramfs as a system that boots on
 * from it would: a new tmpfs root, pivot_root(2) into it and the old root
 * detached (switch_root where pivot_root cannot work: on rootfs itself), and
 * runs again from there ("bench-init leave WAY") to snapshot the memory
 * left in use. Last it dumps the kernel log, one "bench: " line per fact,
 * and reboots (QEMU exits).
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
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
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

	/* Empty on failure: no stale figures from the previous read. */
	buf[0] = '\0';
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

	if (!slurp("/proc/zoneinfo", buf, sizeof(buf)))
		return -1;
	while ((p = strstr(p, "count:"))) {
		p += strlen("count:");
		pages += strtol(p, &p, 10);
	}
	return pages;
}

/*
 * /proc/meminfo sums the global counters, which lag the per-cpu deltas
 * each CPU folds in on its own schedule: up to its threshold in pages, per
 * counter and CPU. Writing stat_refresh folds them, but the same pass may
 * also shrink the per-cpu free lists, whose pages then wait in new deltas:
 * fold until MemFree + the lists stop moving (8 passes were not always
 * enough here). A kernel without SMP has no deltas and no stat_refresh:
 * its counters are exact. Returns 0 with /proc/meminfo in `buf`, or -1
 * with the error printed.
 */
static int fold_vmstat(FILE *out, char *buf, size_t size)
{
	struct utsname uts;
	long before = -1, now;
	int pass;

	for (pass = 0; pass < 64; pass++) {
		int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);
		int failed = fd < 0 || write(fd, "1", 1) != 1;
		int err = errno;

		/*
		 * Only a kernel without SMP, whose version string says so
		 * (there is no sysfs here to ask for the possible CPUs).
		 */
		if (fd < 0 && err == ENOENT && pass == 0 && !uname(&uts) &&
		    !strstr(uts.version, "SMP")) {
			slurp("/proc/meminfo", buf, size);
			return 0;
		}
		if (failed)
			fprintf(out, "bench: error stat_refresh: %s\n", strerror(err));
		if (fd >= 0)
			close(fd);
		if (failed)
			return -1;
		slurp("/proc/meminfo", buf, size);
		now = meminfo_kb(buf, "MemFree:") + pcp_pages();
		if (now == before)
			return 0;
		before = now;
	}
	fprintf(out, "bench: error stat_refresh: MemFree + pcp still moving after %d passes\n",
		pass);
	return -1;
}

/*
 * The outer inits' peak snapshots do not fold: they are taken inside the
 * time a workaround costs, and the folding passes would add to it. Their
 * figures may be off by the deltas, 80 KiB a CPU at most.
 */
static void snapshot(FILE *out, const char *name, int fold)
{
	static char buf[8192];

	if (!fold || fold_vmstat(out, buf, sizeof(buf)))
		slurp("/proc/meminfo", buf, sizeof(buf));
	fprintf(out,
		"bench: mem %s total_kb=%ld free_kb=%ld available_kb=%ld shmem_kb=%ld pcp_kb=%ld\n",
		name, meminfo_kb(buf, "MemTotal:"), meminfo_kb(buf, "MemFree:"),
		meminfo_kb(buf, "MemAvailable:"), meminfo_kb(buf, "Shmem:"),
		pcp_pages() * (sysconf(_SC_PAGESIZE) / 1024));
}

/*
 * Fields 1, 2 and the file system type of the mount at "/". Returns whether
 * it is the root of the mount tree (rootfs itself), or -1 if not found.
 */
static int root_mount(void)
{
	static char buf[1 << 16];
	char *line, *save;
	int tree_root = -1;

	slurp("/proc/self/mountinfo", buf, sizeof(buf));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int id, parent;
		char root[256], point[256], type[64];
		const char *sep = strstr(line, " - ");

		if (sscanf(line, "%d %d %*s %255s %255s", &id, &parent, root, point) != 4 ||
		    !sep || sscanf(sep + 3, "%63s", type) != 1 || strcmp(point, "/"))
			continue;
		printf("bench: root id=%d parent=%d fstype=%s\n", id, parent, type);
		tree_root = id == parent;
	}
	return tree_root;
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

static int copy_file(const char *from, const char *to, mode_t mode)
{
	static char buf[1 << 16];
	int in = open(from, O_RDONLY);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ssize_t n = -1;

	if (in >= 0 && out >= 0)
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, n) != n) {
				n = -1;
				break;
			}
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out))
		n = -1;
	return n == 0 ? 0 : -1;
}

/*
 * The console PID 1 inherited is a node in the old root and would pin it;
 * the new root has its own.
 */
static void reopen_console(void)
{
	int fd = open("/dev/console", O_RDWR);

	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

/*
 * A new root with this program and a console, then the old one left:
 * pivot_root(2), unless the root is the mount tree's own (rootfs), which it
 * refuses. Only returns on failure, with the error printed.
 */
static void leave(int tree_root)
{
	static const char *const dirs[] = { "/leave/dev", "/leave/proc", "/leave/old" };
	const char *step = "find the root mount";
	size_t i;

	if (tree_root < 0) {
		errno = ENOENT;
		goto fail;
	}
	step = "mount /leave";
	mkdir("/leave", 0755);
	if (mount("tmpfs", "/leave", "tmpfs", 0, "mode=0755"))
		goto fail;
	step = "populate /leave";
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mkdir(dirs[i], 0755))
			goto fail;
	if (mknod("/leave/dev/console", S_IFCHR | 0600, makedev(5, 1)) ||
	    copy_file("/init", "/leave/init", 0755))
		goto fail;
	/* With the new root in place, so that only the old one differs. */
	snapshot(stdout, "before_leave", 1);
	step = "umount /proc";
	if (umount2("/proc", 0))
		goto fail;
	fflush(stdout);
	step = "chdir /leave";
	if (chdir("/leave"))
		goto fail;
	if (!tree_root) {
		step = "pivot_root";
		if (syscall(SYS_pivot_root, ".", "old"))
			goto fail;
		step = "chroot";
		if (chroot(".") || chdir("/"))
			goto fail;
		reopen_console();
		execl("/init", "init", "leave", "pivot_root", (char *)NULL);
		step = "exec /init";
		goto fail;
	}
	/* rootfs itself: busybox empties it and moves /leave over it. */
	execl("/bin/busybox", "switch_root", "-c", "/dev/console", "/leave", "/init",
	      "leave", "switch_root", (char *)NULL);
	step = "exec switch_root";
fail:
	printf("bench: error leave: %s: %s\n", step, strerror(errno));
}

static void finish(void)
{
	kernel_log();
	printf("bench: done\n");
	fflush(stdout);
	sync();
	reboot(RB_AUTOBOOT);
}

/* Run again from the new root: detach the old one, wait, snapshot. */
static int left(const char *way)
{
	mount("proc", "/proc", "proc", 0, NULL);
	if (!strcmp(way, "pivot_root")) {
		if (umount2("/old", MNT_DETACH) || rmdir("/old"))
			printf("bench: error leave: detach /old: %s\n", strerror(errno));
	}
	printf("bench: leave way=%s\n", way);
	/* Deferred frees (RCU, the per-cpu lists' draining) settle. */
	sleep(2);
	snapshot(stdout, "left", 1);
	finish();
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long tsc0 = __rdtsc(), tsc1;
	struct timespec t0, t1;
	FILE *out;
	int tree_root;

	clock_gettime(CLOCK_BOOTTIME, &t0);
	if (argc == 3 && !strcmp(argv[1], "snap")) {
		out = fopen(argv[2], "w");
		if (!out)
			return 1;
		snapshot(out, "peak", 0);
		return fclose(out) ? 1 : 0;
	}
	if (argc == 3 && !strcmp(argv[1], "leave"))
		return left(argv[2]);
	mkdir("/proc", 0755);
	if (mount("proc", "/proc", "proc", 0, NULL) && errno != EBUSY)
		printf("bench: error mount /proc: %s\n", strerror(errno));
	printf("bench: init_tsc=%llu\n", tsc0);
	printf("bench: init_ns=%lld\n", t0.tv_sec * 1000000000LL + t0.tv_nsec);
	snapshot(stdout, "init", 1);
	/* What the outer init of a workaround saw before switch_root. */
	if (!access("/bench-peak", R_OK)) {
		static char buf[512];

		slurp("/bench-peak", buf, sizeof(buf));
		fputs(buf, stdout);
	}
	tree_root = root_mount();
	payload();
	/* Steady state: let deferred work (per-cpu list draining) settle. */
	sleep(2);
	snapshot(stdout, "steady", 1);
	tsc1 = __rdtsc();
	clock_gettime(CLOCK_BOOTTIME, &t1);
	printf("bench: steady_tsc=%llu\n", tsc1);
	printf("bench: steady_ns=%lld\n", t1.tv_sec * 1000000000LL + t1.tv_nsec);
	leave(tree_root);
	finish();
	return 0;
}
