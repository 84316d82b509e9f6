# Argument conversion shared by the Cython modules (inlined where cimported): the one
# converter vocabulary of csctp.
#
# Cython's own C-integer arguments raise OverflowError for large values (not
# a ValueError, and without naming the call) and truncate floats; every
# public integer argument goes through these instead.  One policy for all:
#
# * exact ints take a fast path; other integer-likes (numpy scalars, IntEnum)
#   go through __index__;
# * a bool is not a number here (``stream=True`` is a bug, not stream 1):
#   TypeError; where a flag is meant, as_bool takes bools and 0/1-style ints;
# * floats, strings and anything else: TypeError; out of range: ValueError;
# * every message names the argument as "<operation>: <name>".

from cpython.long cimport PyLong_CheckExact, PyLong_AsLongLongAndOverflow
from cpython.number cimport PyNumber_Index
from libc.stdint cimport uint16_t, uint32_t, int32_t


cdef inline long long as_int(object v, str what, long long lo, long long hi) except? -1:
    cdef int overflow = 0
    cdef long long x
    if not PyLong_CheckExact(v):
        if isinstance(v, (bool, float)) or not hasattr(type(v), "__index__"):
            raise TypeError(f"{what} must be an int, got {type(v).__name__}")
        v = PyNumber_Index(v)
    x = PyLong_AsLongLongAndOverflow(v, &overflow)
    if overflow or x < lo or x > hi:
        raise ValueError(f"{what} must be in {lo}..{hi}, got {v!r}")
    return x


cdef inline uint16_t as_u16(object v, str what) except? 0xFFFF:
    return <uint16_t>as_int(v, what, 0, 0xFFFF)


cdef inline uint32_t as_u32(object v, str what) except? 0xFFFFFFFF:
    return <uint32_t>as_int(v, what, 0, 0xFFFFFFFF)


cdef inline int32_t as_assoc_id(object v, str what) except? -1:
    # the kernel's ids are positive; 0/1/2 are the FUTURE/CURRENT/ALL wildcards
    return <int32_t>as_int(v, what, 0, 0x7FFFFFFF)


cdef inline bint as_bool(object v, str what) except -1:
    if not isinstance(v, int):      # bool is an int; 0/1 accepted too
        raise TypeError(f"{what} must be a bool, got {type(v).__name__}")
    return v != 0
