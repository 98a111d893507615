/* The op handlers, one per opcode, called by the dispatch loop in nsexec.c. */
#ifndef HUSK_OPS_H
#define HUSK_OPS_H

#include "util.h"

/* ns.c */
void op_setns(const struct plan_op *op);
void op_root_host_ns(const struct plan_op *op);
void op_chroot(const struct plan_op *op);
void op_cgroup_sync(const struct plan_op *op);
void open_ns_files(const struct plan_op *op);
void op_unshare(const struct plan_op *op);
void op_userns_sync(const struct plan_op *op);
void op_time_offsets(const struct plan_op *op);
void op_fork(const struct plan_op *op);
void op_setsid(const struct plan_op *op);
void op_dumpable(const struct plan_op *op);
void op_hostname(const struct plan_op *op);

/* rootfs.c */
void op_prepare_root(const struct plan_op *op);
void op_mount(const struct plan_op *op);
void op_mknod(const struct plan_op *op);
void op_bind_dev(const struct plan_op *op);
void op_symlink(const struct plan_op *op);
void op_mkdir(const struct plan_op *op);
void op_pivot_root(const struct plan_op *op);
void op_chroot_move(const struct plan_op *op);

/* finalize.c */
void op_mask(const struct plan_op *op);
void op_readonly(const struct plan_op *op);
void op_remount(const struct plan_op *op);
void op_sysctl(const struct plan_op *op);
void op_proc_write(const struct plan_op *op);
void op_console(const struct plan_op *op);
void op_label(const struct plan_op *op);
void op_oom_score_adj(const struct plan_op *op);

/* hook.c */
void op_sync_hooks(const struct plan_op *op);
void op_hook(const struct plan_op *op);

/* process.c */
void op_rlimit(const struct plan_op *op);
void op_personality(const struct plan_op *op);
void op_scheduler(const struct plan_op *op);
void op_ioprio(const struct plan_op *op);
void op_mempolicy(const struct plan_op *op);
void op_cgroup_join(const struct plan_op *op);
void op_affinity(const struct plan_op *op);
void op_umask(const struct plan_op *op);
void op_no_new_privs(const struct plan_op *op);
void op_cap_bounding(const struct plan_op *op);
void op_user(const struct plan_op *op);
void op_caps(const struct plan_op *op);
void op_seccomp(const struct plan_op *op);
void op_chdir(const struct plan_op *op);
void op_chdir_root(const struct plan_op *op);
void op_lookup(const struct plan_op *op);
void op_close_fds(const struct plan_op *op);
void op_ready(const struct plan_op *op);
void op_wait_start(const struct plan_op *op);
void op_keyring(const struct plan_op *op);
void op_dup_stdio(const struct plan_op *op);
void op_exec(const struct plan_op *op);

#endif
