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
 *	does not get there: it stops at the process root.)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static int bottom_ls(void)
{
	struct dirent *d;
	DIR *dir;
	int fd, n = 0;

	fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror("nrcheck: /proc/self/ns/mnt");
		return 2;
	}
	for (;;) {
		if (setns(fd, CLONE_NEWNS) < 0) {
			perror("nrcheck: setns");
			return 2;
		}
		if (umount2("/", MNT_DETACH) < 0)
			break;
		if (++n > 16) {
			fprintf(stderr, "nrcheck: cannot reach the bottom\n");
			return 2;
		}
	}
	printf("detached %d mounts above the bottom\n", n);
	n = 0;
	dir = opendir("/");
	if (!dir) {
		perror("nrcheck: opendir /");
		return 2;
	}
	while ((d = readdir(dir))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		printf("%s\n", d->d_name);
		n++;
	}
	closedir(dir);
	printf("%d entries\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "bottom-ls"))
		return bottom_ls();
	fprintf(stderr, "usage: nrcheck bottom-ls\n");
	return 2;
}
