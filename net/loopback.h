/* Bring up the loopback interface of the current network namespace. */
#ifndef POD_NET_LOOPBACK_H
#define POD_NET_LOOPBACK_H

int net_loopback_up(void);

#endif
