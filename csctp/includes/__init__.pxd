# Declarations of the C headers csctp compiles against (socket.pxd, sctp.pxd): a cimport-only package.
