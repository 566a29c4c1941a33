// SPDX-License-Identifier: GPL-2.0
/*
 * nrcheck - what busybox cannot do for the boot tests.
 *
 *   nrcheck bottom-ls
 *	Escape to the bottom of our mount namespace and list it: what a
 *	privileged process that breaks out of a container can reach. setns(2)
 *	into our own namespace moves root and cwd to the namespace's root
 *	mount, or to what is stacked on it; detaching "/" first, until only
 *	the locked root mount is left, gets to the very bottom. (A ".." walk
 *	does not get there: it stops at the process root.) Only EINVAL ends
 *	the walk, and "/" must then be the namespace's root mount, its own
 *	parent in /proc/self/mountinfo: the tests use no user namespace, so
 *	no mount but that root is locked, and any other stop is an error, not
 *	the bottom.
 *
 *   nrcheck stack-ls
 *	The same walk, listing "/" at every level on the way down as
 *	"level <n>: <name>": everything the process can reach by detaching
 *	the mounts of its own namespace.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

/* List "/" as "<prefix><name>" lines; returns the number of entries or -1. */
static int list_root(const char *prefix)
{
	struct dirent *d;
	DIR *dir;
	int n = 0;

	dir = opendir("/");
	if (!dir) {
		perror("nrcheck: opendir /");
		return -1;
	}
	while ((d = readdir(dir))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		printf("%s%s\n", prefix, d->d_name);
		n++;
	}
	closedir(dir);
	return n;
}

/*
 * Whether "/" is the root mount of our namespace: the mountinfo line of the
 * mount at "/" names itself as its parent. proc is opened before the walk,
 * which detaches the mount it came from.
 */
static int at_namespace_root(int proc)
{
	int id, parent, found = 0;
	char line[4096], where[4096];
	FILE *f;
	int fd;

	fd = openat(proc, "self/mountinfo", O_RDONLY | O_CLOEXEC);
	f = fd < 0 ? NULL : fdopen(fd, "r");
	if (!f) {
		perror("nrcheck: /proc/self/mountinfo");
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%d %d %*s %*s %4095s", &id, &parent, where) == 3 &&
		    !strcmp(where, "/") && id == parent)
			found = 1;
	}
	fclose(f);
	return found;
}

static int bottom_ls(int every_level)
{
	char prefix[32];
	int fd, proc, n = 0;

	fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror("nrcheck: /proc/self/ns/mnt");
		return 2;
	}
	proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (proc < 0) {
		perror("nrcheck: /proc");
		return 2;
	}
	for (;;) {
		if (setns(fd, CLONE_NEWNS) < 0) {
			perror("nrcheck: setns");
			return 2;
		}
		snprintf(prefix, sizeof(prefix), "level %d: ", n);
		if (every_level && list_root(prefix) < 0)
			return 2;
		if (umount2("/", MNT_DETACH) < 0) {
			if (errno != EINVAL) {
				perror("nrcheck: umount2 /");
				return 2;
			}
			break;
		}
		if (++n > 16) {
			fprintf(stderr, "nrcheck: cannot reach the bottom\n");
			return 2;
		}
	}
	switch (at_namespace_root(proc)) {
	case 1:
		break;
	case 0:
		fprintf(stderr, "nrcheck: umount2 / failed with EINVAL above the bottom\n");
		/* fall through */
	default:
		return 2;
	}
	printf("detached %d mounts above the bottom\n", n);
	if (every_level)
		return 0;
	n = list_root("");
	if (n < 0)
		return 2;
	printf("%d entries\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "bottom-ls"))
		return bottom_ls(0);
	if (argc == 2 && !strcmp(argv[1], "stack-ls"))
		return bottom_ls(1);
	fprintf(stderr, "usage: nrcheck bottom-ls | stack-ls\n");
	return 2;
}
