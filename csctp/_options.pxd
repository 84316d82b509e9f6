# Typed SCTP socket options (RFC 6458 section 8, RFC 6525, RFC 7496, RFC 8260).
# The two raw entry points below are what every typed getter/setter goes
# through (the generated ones of the simple options in TABLE included): the
# one place that maps errno (ENOPROTOOPT to csctp.UnsupportedOption naming the
# option, hints for terse errnos).  Declared here so another Cython module can
# use the same error mapping.

from csctp.includes.socket cimport socklen_t

cdef int sockopt_get(object sock, int opt, void *buf, socklen_t *length, str name) except -1
cdef int sockopt_set(object sock, int opt, const void *buf, socklen_t length, str name) except -1
