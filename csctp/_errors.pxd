# One place maps a failed system call to the right Python exception.

cdef int raise_errno(str op, int err) except -1
cdef int raise_last(str op) except -1
