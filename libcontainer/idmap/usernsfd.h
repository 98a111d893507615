#ifndef HUSK_USERNSFD_H
#define HUSK_USERNSFD_H
#include <stddef.h>
int husk_userns_fd(const char *uidmap, size_t uidlen, const char *gidmap, size_t gidlen, const char **stage);
#endif
