# Sourced by scripts: debian_mirror prints the Debian mirror this machine's
# apt sources already use (deb822 or one-line format), so the project adds
# suites only from a mirror the admin chose.
debian_mirror() {
	local m
	m=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/\{0,1\}[[:space:]]*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
	if [ -z "$m" ]; then
		m=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}' | grep '/debian/\?$' | head -n1)
	fi
	[ -n "$m" ] || { echo "cannot find the Debian mirror in /etc/apt/sources.list*" >&2; return 1; }
	echo "${m%/}"
}
