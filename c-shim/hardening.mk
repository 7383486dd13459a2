# Debian's hardening flags (dpkg-buildflags with hardening=+all) for every
# shared object legrec builds, so a module is as hard to exploit as the PBX
# that loads it:
# - no executable stack: glibc 2.41 and later refuse to dlopen a library
#   that asks for one, and on older glibc it would make every thread stack of
#   the PBX executable;
# - full RELRO (-z relro -z now): the GOT is read-only once loaded;
# - stack protector, stack clash protection, CET and fortified libc calls in
#   the C shims.
HARDEN_CFLAGS  = -fstack-protector-strong -fstack-clash-protection -fcf-protection \
	-D_FORTIFY_SOURCE=2 -Wformat -Werror=format-security
HARDEN_LDFLAGS = -Wl,-z,noexecstack -Wl,-z,relro -Wl,-z,now -Wl,--build-id
