/**
 * `agora-init`: a ~100-line C helper, built from the source below with the host's C compiler the first
 * time an agent needs it (cached per user in `~/.cache/agora/agora-init-<source hash>`), that does in one
 * small exec what the shell chain `setsid unshare ... /bin/sh -c 'mount ...; "$@" & wait'` does in four:
 * new session, unshare (pid, mount, uts, ipc), mount propagation private, fork the namespace's pid 1,
 * mount /proc and the private /tmp with mount(2), fork + exec the task, create the ready file, reap
 * orphans, exit with the task's status (the outer process mirrors it, ignoring SIGTERM/SIGINT/SIGHUP
 * like `unshare --fork`). When no compiler is found or the build fails, the agent keeps the shell chain
 * (same semantics, slower launches); `AGORA_CONTAINER_INIT=shell` forces that.
 *
 * Usage: `agora-init FLAGS READY WORKREL -- ARGV...`; FLAGS letters: p (pid), t (private /tmp), u (uts),
 * i (ipc); WORKREL is the work dir relative to /tmp ('' when elsewhere), as for the shell init.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, rename, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { findTool } from '../task-user.js';

export const INIT_SOURCE = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "agora-init: %s: %s\n", what, strerror(errno));
  _exit(125);
}

static const int SIGS[] = {SIGTERM, SIGINT, SIGHUP};
static struct sigaction saved[3];

static void restore(void) {
  for (int i = 0; i < 3; i++) sigaction(SIGS[i], &saved[i], NULL);
}

static void ready_file(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
}

int main(int argc, char **argv) {
  if (argc < 6 || strcmp(argv[4], "--") != 0) {
    fprintf(stderr, "usage: agora-init FLAGS READY WORKREL -- ARGV...\n");
    return 125;
  }
  const char *flags = argv[1], *ready = argv[2], *rel = argv[3];
  char **task = argv + 5;
  int pidns = strchr(flags, 'p') != NULL, tmp = strchr(flags, 't') != NULL;
  int cl = 0;
  if (pidns || tmp) cl |= CLONE_NEWNS;
  if (pidns) cl |= CLONE_NEWPID;
  if (strchr(flags, 'u') != NULL) cl |= CLONE_NEWUTS;
  if (strchr(flags, 'i') != NULL) cl |= CLONE_NEWIPC;
  if (setsid() < 0) die("setsid");
  if (cl != 0 && unshare(cl) < 0) die("unshare");
  if ((cl & CLONE_NEWNS) && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die("mount propagation");
  if (pidns) {
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    for (int i = 0; i < 3; i++) sigaction(SIGS[i], &ign, &saved[i]);
    pid_t init = fork();
    if (init < 0) die("fork");
    if (init > 0) {
      int st;
      while (waitpid(init, &st, 0) < 0)
        if (errno != EINTR) die("waitpid");
      if (WIFEXITED(st)) return WEXITSTATUS(st);
      signal(WTERMSIG(st), SIG_DFL);
      kill(getpid(), WTERMSIG(st));
      return 128 + WTERMSIG(st);
    }
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) die("mount /proc");
  }
  if (tmp) {
    char cwd[PATH_MAX], a[PATH_MAX + 8], b[2 * PATH_MAX + 16];
    if (getcwd(cwd, sizeof cwd) == NULL) die("getcwd");
    if (rel[0] != '\0') {
      snprintf(a, sizeof a, "/tmp/%s", rel);
      snprintf(b, sizeof b, "%s/tmp/%s", cwd, rel);
      if (mount(a, b, NULL, MS_BIND, NULL) < 0) die("bind the work dir into the private /tmp");
    }
    snprintf(b, sizeof b, "%s/tmp", cwd);
    if (mount(b, "/tmp", NULL, MS_BIND | MS_REC, NULL) < 0) die("mount a private /tmp");
  }
  if (!pidns) {
    ready_file(ready);
    execvp(task[0], task);
    fprintf(stderr, "agora-init: cannot run %s: %s\n", task[0], strerror(errno));
    return 127;
  }
  pid_t t = fork();
  if (t < 0) die("fork");
  if (t == 0) {
    restore();
    execvp(task[0], task);
    fprintf(stderr, "agora-init: cannot run %s: %s\n", task[0], strerror(errno));
    _exit(127);
  }
  ready_file(ready);
  for (;;) {
    int st;
    pid_t w = wait(&st);
    if (w == t) _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    if (w < 0 && errno != EINTR) _exit(125);
  }
}
`;

function run(cmd: string, args: readonly string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, [...args], { timeout: 60_000 }, (err, _out, stderr) => (err === null ? resolve() : reject(new Error(`${cmd} failed: ${stderr || err.message}`))));
    child.stdin?.end(input);
  });
}

/** True when `path` is ours to trust: a regular file owned by us, not writable by group or others. */
async function trusted(path: string): Promise<boolean> {
  try {
    const s = await stat(path);
    return s.isFile() && s.uid === process.getuid?.() && (s.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/**
 * Path of the compiled helper, building it when needed; undefined (with the reason) when it cannot be
 * had, so the caller keeps the shell chain.
 */
export async function nativeInit(cacheDir = join(homedir(), '.cache', 'agora')): Promise<{ path?: string; why?: string }> {
  if (process.env['AGORA_CONTAINER_INIT'] === 'shell') return { why: 'AGORA_CONTAINER_INIT=shell' };
  const hash = createHash('sha256').update(INIT_SOURCE).digest('hex').slice(0, 12);
  const path = join(cacheDir, `agora-init-${hash}`);
  if (await trusted(path)) return { path };
  const cc = findTool('cc') ?? findTool('gcc') ?? findTool('clang');
  if (cc === undefined) return { why: 'no C compiler (cc) to build agora-init' };
  try {
    await mkdir(cacheDir, { recursive: true, mode: 0o755 });
    const tmp = `${path}.${process.pid}.tmp`;
    // Static when the libc allows it: no dynamic loading on every launch.
    await run(cc, ['-O2', '-s', '-static', '-o', tmp, '-x', 'c', '-'], INIT_SOURCE).catch(() => run(cc, ['-O2', '-s', '-o', tmp, '-x', 'c', '-'], INIT_SOURCE));
    await rename(tmp, path);
    return (await trusted(path)) ? { path } : { why: `${path} is not a private file of this user` };
  } catch (e: unknown) {
    return { why: `building agora-init failed: ${(e as Error).message}` };
  }
}
