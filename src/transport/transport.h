/*
 * transport — what the gateway's transport engines share: the per-partner
 * lock that keeps two edigw processes from polling or delivering for the
 * same partner at once, and the SFTP options of a partner's settings.
 */
#ifndef EDIGW_TRANSPORT_H
#define EDIGW_TRANSPORT_H

#include "config/config.h"
#include "spool/spool.h"
#include "transport/sftp.h"

/* Take the partner's transport lock (spool/outbound/<partner>/.transport.lock, flock, never
 * waiting): 0 with *fd holding it, -EBUSY when another process has it, other negative errno. */
int transport_lock(struct spool *sp, const char *partner, int *fd);
/* Release a lock from transport_lock (fd < 0 is a no-op). */
void transport_unlock(int fd);
/* The sftp_opts of a partner's sftp.* settings (strings borrowed from s). */
void transport_sftp_opts(struct sftp_opts *o, const struct cfg_sftp *s);
/* For edigw config check: the files a partner's SFTP settings name are usable (known-hosts
 * readable, the key or password file only its owner's). Problems go to d with the partner
 * file and line; 0 or -EINVAL. Nothing is checked over the network. */
int transport_sftp_check(const struct cfg_partner *p, struct diag_list *d);

#endif
