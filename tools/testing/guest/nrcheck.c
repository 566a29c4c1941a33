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
 *
 *   nrcheck bottom-seal [userns]
 *	The same walk, then try to put entries into the bottom, one line
 *	"<phase> <what>: <ok or errno name>" each: as it is ("ro"), after
 *	"mount -o remount,rw /" and "mount -o remount,bind,rw /" ("rw"), and
 *	after clearing the inode flags with FS_IOC_SETFLAGS ("flags"); "mount"
 *	is the bottom's mount flag, read-only or not. With "userns", first move to a new user and mount
 *	namespace, as root of it: a container's view of the same bottom.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* /proc, opened before the walk detached the mount it is on. */
static int bottom_proc = -1;

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
 * From the mountinfo lines of the mounts at "/": whether one of them is the
 * root mount of our namespace (it names itself as its parent), and whether
 * the last, the one "/" is on, is read-only. proc is opened before the walk,
 * which detaches the mount it came from. Returns 0, or -1 with errno set.
 */
static int root_mount(int proc, int *ns_root, int *read_only)
{
	char line[4096], where[4096], opts[4096];
	int id, parent, found = 0;
	FILE *f;
	int fd;

	fd = openat(proc, "self/mountinfo", O_RDONLY | O_CLOEXEC);
	f = fd < 0 ? NULL : fdopen(fd, "r");
	if (!f)
		return -1;
	*ns_root = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%d %d %*s %*s %4095s %4095s", &id, &parent, where, opts) != 4 ||
		    strcmp(where, "/"))
			continue;
		found = 1;
		*ns_root |= id == parent;
		*read_only = !strncmp(opts, "ro", 2) && (opts[2] == ',' || !opts[2]);
	}
	fclose(f);
	if (!found) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

/*
 * Detach "/" until only the root mount of our namespace is left, listing
 * each level first if every_level. Returns the number of mounts detached,
 * or -1 after saying why not.
 */
static int walk_to_bottom(int every_level)
{
	int fd, proc, ns_root, read_only, n = 0;
	char prefix[32];

	fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror("nrcheck: /proc/self/ns/mnt");
		return -1;
	}
	proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (proc < 0) {
		perror("nrcheck: /proc");
		return -1;
	}
	for (;;) {
		if (setns(fd, CLONE_NEWNS) < 0) {
			perror("nrcheck: setns");
			return -1;
		}
		snprintf(prefix, sizeof(prefix), "level %d: ", n);
		if (every_level && list_root(prefix) < 0)
			return -1;
		if (umount2("/", MNT_DETACH) < 0) {
			if (errno != EINVAL) {
				perror("nrcheck: umount2 /");
				return -1;
			}
			break;
		}
		if (++n > 16) {
			fprintf(stderr, "nrcheck: cannot reach the bottom\n");
			return -1;
		}
	}
	if (root_mount(proc, &ns_root, &read_only) < 0) {
		perror("nrcheck: /proc/self/mountinfo");
		return -1;
	}
	if (!ns_root) {
		fprintf(stderr, "nrcheck: umount2 / failed with EINVAL above the bottom\n");
		return -1;
	}
	bottom_proc = proc;
	close(fd);
	printf("detached %d mounts above the bottom\n", n);
	return n;
}

static int bottom_ls(int every_level)
{
	int n;

	if (walk_to_bottom(every_level) < 0)
		return 2;
	if (every_level)
		return 0;
	n = list_root("");
	if (n < 0)
		return 2;
	printf("%d entries\n", n);
	return 0;
}

/* "<phase> <what>: ok" or the errno's name. */
static void report(const char *phase, const char *what, int ret)
{
	printf("%s %s: %s\n", phase, what, ret < 0 ? strerrorname_np(errno) : "ok");
}

/* Whether the mount at "/" is read-only, from its mountinfo line. */
static void report_mount(const char *phase)
{
	int ns_root, read_only;

	if (root_mount(bottom_proc, &ns_root, &read_only) < 0)
		printf("%s mount: %s\n", phase, strerrorname_np(errno));
	else
		printf("%s mount: %s\n", phase, read_only ? "ro" : "rw");
}

/* "/nrseal-<pid>-<phase>-<what>": our own names, whoever ran before. */
static void name_of(char *buf, size_t size, const char *phase, const char *what)
{
	snprintf(buf, size, "/nrseal-%d-%s-%s", (int)getpid(), phase, what);
}

static const char *const entries[] = {
	"dir", "fifo", "null", "symlink", "file", "link", "renamed",
};

/*
 * Every way to put an entry into "/", each with names of its own for the
 * phase. link and rename need a source on the same mount: the file the
 * O_CREAT made, if it exists. If not, there is none on a sealed bottom, its
 * root aside: link tries the root, a directory, which fails whatever the
 * target; rename a name that does not exist. Both then test only what
 * comes before the source is looked at (the read-only mount), and what
 * matters is that the creates before them failed.
 */
static void try_creating(const char *phase)
{
	char name[64], file[64];
	int fd;

	report_mount(phase);
	name_of(name, sizeof(name), phase, "dir");
	report(phase, "mkdir", mkdir(name, 0755));
	name_of(name, sizeof(name), phase, "fifo");
	report(phase, "mknod-fifo", mknod(name, S_IFIFO | 0644, 0));
	name_of(name, sizeof(name), phase, "null");
	report(phase, "mknod-chr", mknod(name, S_IFCHR | 0600, makedev(1, 3)));
	name_of(name, sizeof(name), phase, "symlink");
	report(phase, "symlink", symlink("target", name));
	name_of(file, sizeof(file), phase, "file");
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	report(phase, "creat", fd);
	if (fd >= 0)
		close(fd);
	fd = open("/", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	report(phase, "tmpfile", fd);
	if (fd >= 0)
		close(fd);
	name_of(name, sizeof(name), phase, "link");
	report(phase, "link", link(access(file, F_OK) ? "/" : file, name));
	name_of(name, sizeof(name), phase, "renamed");
	report(phase, "rename", rename(file, name));
}

/* Remove what try_creating() made, so that a control leaves rootfs as it was. */
static void remove_created(const char *phase)
{
	char name[64];
	unsigned int i;

	for (i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		name_of(name, sizeof(name), phase, entries[i]);
		if (unlink(name) < 0 && errno == EISDIR)
			rmdir(name);
	}
}

/* Become root of a new user namespace with a mount namespace of its own. */
static int enter_userns(void)
{
	static const char *const maps[][2] = {
		{ "/proc/self/uid_map", "0 0 1" },
		{ "/proc/self/setgroups", "deny" },
		{ "/proc/self/gid_map", "0 0 1" },
	};
	unsigned int i;
	int fd;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		perror("nrcheck: unshare");
		return -1;
	}
	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		fd = openat(bottom_proc, maps[i][0] + strlen("/proc/"), O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, maps[i][1], strlen(maps[i][1])) < 0) {
			perror(maps[i][0]);
			return -1;
		}
		close(fd);
	}
	return 0;
}

static int bottom_seal(int userns)
{
	unsigned int flags = 0;
	int fd;

	if (walk_to_bottom(0) < 0)
		return 2;
	if (userns && enter_userns() < 0)
		return 2;
	try_creating("ro");
	report("remount", "rw", mount(NULL, "/", NULL, MS_REMOUNT, NULL));
	report("remount", "bind-rw", mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL));
	try_creating("rw");
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		perror("nrcheck: open /");
		return 2;
	}
	report("flags", "getflags", ioctl(fd, FS_IOC_GETFLAGS, &flags));
	flags &= ~FS_IMMUTABLE_FL;
	report("flags", "setflags", ioctl(fd, FS_IOC_SETFLAGS, &flags));
	close(fd);
	try_creating("flags");
	remove_created("ro");
	remove_created("rw");
	remove_created("flags");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "bottom-ls"))
		return bottom_ls(0);
	if (argc == 2 && !strcmp(argv[1], "stack-ls"))
		return bottom_ls(1);
	if (argc == 2 && !strcmp(argv[1], "bottom-seal"))
		return bottom_seal(0);
	if (argc == 3 && !strcmp(argv[1], "bottom-seal") && !strcmp(argv[2], "userns"))
		return bottom_seal(1);
	fprintf(stderr, "usage: nrcheck bottom-ls | stack-ls | bottom-seal [userns]\n");
	return 2;
}
