#!/usr/bin/env bash
# The Debian packages, made by cpack from the binaries this
# build already has: their contents (dpkg-deb -c), control data and
# conffiles (dpkg-deb -I), lintian's errors, every unit accepted by
# `systemd-analyze verify --root` in the unpacked tree, the man pages,
# and a province hub, a city hub and two county nodes run from the
# unpacked binaries on the unpacked data directory, configured by the
# packaged sample files with their paths moved into a temporary
# directory; readiness reaches a NOTIFY_SOCKET; log lines carry their
# syslog priority when stderr is the journal's. As root, the packages are
# also installed with dpkg (their maintainer scripts making the tally
# user), installed again over a changed conffile, and purged.
# Usage: bash tests/package.sh BUILD_DIR
set -u
. "$(dirname "$0")/checklib.sh"
cl_init package "$1"
py=/usr/bin/python3

echo "== cpack"
mkdir -p "$work/pkg" "$work/root" "$work/state" "$work/sock" "$work/log" "$work/etc"
(cd "$build" && cpack -G DEB -B "$work/pkg" --config "$build/CPackConfig.cmake") \
	>"$work/log/cpack.log" 2>&1
check "cpack: $(tail -5 "$work/log/cpack.log")" test $? -eq 0
for p in common hub node; do
	deb=$(ls "$work"/pkg/tally-"${p}"_*.deb 2>/dev/null | head -1)
	check "tally-$p built" test -n "$deb"
	eval "deb_$p=\$deb"
done

echo "== contents"
want_common="./usr/share/tally/divisions.csv ./usr/share/tally/indicators.csv
./usr/share/tally/targets.csv ./usr/share/tally/division_changes.csv
./usr/share/man/man5/tally.ini.5.gz ./usr/lib/sysusers.d/tally.conf
./usr/share/doc/tally-common/copyright ./usr/share/doc/tally-common/changelog.Debian.gz
./usr/share/doc/tally-common/operations.md"
want_hub="./usr/bin/tally-hub ./lib/systemd/system/tally-hub@.service
./etc/tally/hub-province.ini ./etc/tally/hub-city.ini ./etc/tally/hub-compare.ini
./usr/share/man/man1/tally-hub.1.gz ./usr/share/doc/tally-hub/copyright"
want_node="./usr/bin/tally-node ./lib/systemd/system/tally-node@.service
./etc/tally/node-county.ini ./usr/share/man/man1/tally-node.1.gz
./usr/share/doc/tally-node/copyright"
for p in common hub node; do
	eval "deb=\$deb_$p; want=\$want_$p"
	list=$(dpkg-deb -c "$deb" | awk '{print $6}')
	for f in $want; do
		contains "tally-$p holds $f" "$list" "$f"
	done
	# shellcheck disable=SC2154
	dpkg-deb -x "$deb" "$work/root"
done
info=$(dpkg-deb -I "$deb_hub")
contains "hub depends on tally-common" "$info" "tally-common (="
contains "hub's library dependencies from dpkg-shlibdeps" "$info" "libnng1"
contains "hub's sample is a conffile" "$(dpkg-deb -I "$deb_hub" conffiles)" \
	"/etc/tally/hub-province.ini"
contains "node's sample is a conffile" "$(dpkg-deb -I "$deb_node" conffiles)" \
	"/etc/tally/node-county.ini"
contains "tally-common makes the tally user" \
	"$(dpkg-deb -I "$deb_common" postinst)" "adduser --system --group"
check "binaries are stripped" bash -c \
	"file '$work/root/usr/bin/tally-hub' | grep -q 'stripped' && ! file '$work/root/usr/bin/tally-hub' | grep -q 'not stripped'"
# Installed, the programs find their data in the package's directory.
for b in tally-hub tally-node; do
	check "$b looks for its data in /usr/share/tally" \
		grep -qa /usr/share/tally "$work/root/usr/bin/$b"
done
for m in man1/tally-hub.1 man1/tally-node.1 man5/tally.ini.5; do
	check "$m is a man page" bash -c \
		"zcat '$work/root/usr/share/man/$m.gz' | grep -q '^\.TH'"
done
contains "tally-hub(1) has check-config" \
	"$(zcat "$work/root/usr/share/man/man1/tally-hub.1.gz")" "check-config"

echo "== lintian"
if command -v lintian >/dev/null; then
	lintian "$work"/pkg/*.deb >"$work/log/lintian.log" 2>&1
	check "no lintian errors or warnings: $(grep -E '^[EW]:' "$work/log/lintian.log")" \
		bash -c "! grep -qE '^[EW]:' '$work/log/lintian.log'"
else
	echo "lintian not installed: skipped"
fi

echo "== systemd-analyze verify"
# The root holds what the units name from outside the packages: the
# targets they are ordered after and kill(1) for ExecReload.
mkdir -p "$work/root/lib/systemd/system" "$work/root/bin"
cp /lib/systemd/system/*.target "$work/root/lib/systemd/system/"
cp /bin/kill "$work/root/bin/"
out=$(systemd-analyze verify --man=no --root="$work/root" \
	tally-hub@province.service tally-node@county.service 2>&1)
check "systemd-analyze verify: $out" test $? -eq 0 -a -z "$out"
for u in hub node; do
	unit=$(cat "$work/root/lib/systemd/system/tally-$u@.service")
	for want in Type=notify User=tally StateDirectory=tally ProtectSystem=strict \
		NoNewPrivileges=yes PrivateTmp=yes "CapabilityBoundingSet=" \
		"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" TimeoutStopSec=20; do
		contains "tally-$u@ has $want" "$unit" "$want"
	done
done

echo "== a tree from the unpacked packages"
export TALLY_DATA_DIR=$work/root/usr/share/tally
hub=$work/root/usr/bin/tally-hub
node=$work/root/usr/bin/tally-node
etc=$work/root/etc/tally
adapt() { # SAMPLE OUT SED-SCRIPT: the sample with its paths in $work
	sed -e "s|/var/lib/tally|$work/state|" -e "$3" "$etc/$1" >"$work/etc/$2"
}
adapt hub-province.ini hub-province.ini \
	"s|^listen = .*|listen = ipc://$work/sock/province\nready_file = $work/sock/province.ready|"
adapt hub-city.ini hub-city.ini \
	"s|^listen = .*|listen = ipc://$work/sock/city\nready_file = $work/sock/city.ready|;s|^parent = .*|parent = ipc://$work/sock/province|"
for c in 130102 130104; do
	adapt node-county.ini "node-$c.ini" \
		"s|county-130102|county-$c|;s|^hub = .*|hub = ipc://$work/sock/city|"
	"$node" init --db "$work/state/county-$c.db" --region "$c" >/dev/null ||
		bad "init $c"
	"$node" import --db "$work/state/county-$c.db" \
		"$here/../configs/samples/county-130102-2020.csv" >/dev/null || bad "import $c"
done
for f in hub-province hub-city; do
	out=$("$hub" check-config -c "$work/etc/$f.ini" 2>&1)
	check "check-config $f: $out" test $? -eq 0
done
for c in 130102 130104; do
	out=$("$node" check-config -c "$work/etc/node-$c.ini" 2>&1)
	check "check-config node-$c: $out" test $? -eq 0
done
"$py" "$here/notify_recv.py" "$work/sock/notify" "$work/log/notify" &
pids+=($!)
wait_for "notify socket" test -f "$work/log/notify.bound"
NOTIFY_SOCKET=$work/sock/notify "$hub" run -c "$work/etc/hub-province.ini" \
	2>"$work/log/province.log" &
pids+=($!)
prov=$!
wait_for "province READY=1" grep -sqx READY=1 "$work/log/notify"
"$hub" run -c "$work/etc/hub-city.ini" 2>"$work/log/city.log" &
pids+=($!)
cityp=$!
wait_for "city ready" test -f "$work/sock/city.ready"
for c in 130102 130104; do
	"$node" run -c "$work/etc/node-$c.ini" >"$work/log/node-$c.out" 2>&1 &
	pids+=($!)
done
arrived() {
	"$hub" report --db "$work/state/hub-province.db" --period 2020 --depth 2 \
		--format csv 2>/dev/null >"$work/log/province.csv" &&
		grep -q ',130102,' "$work/log/province.csv" &&
		grep -q ',130104,' "$work/log/province.csv"
}
wait_for "both counties at the province" arrived
"$hub" report --db "$work/state/hub-city.db" --period 2020 --region 130100 \
	--format csv >"$work/log/city-own.csv" 2>/dev/null
"$hub" report --db "$work/state/hub-province.db" --period 2020 --region 130100 \
	--format csv >"$work/log/prov-city.csv" 2>/dev/null
check "the province holds the city's figures as the city does" \
	cmp -s "$work/log/city-own.csv" "$work/log/prov-city.csv"
check "the figures are not empty" test "$(wc -l <"$work/log/prov-city.csv")" -gt 2
kill -TERM "$prov" "$cityp"
wait "$prov"
check "the province stopped cleanly" test $? -eq 0
wait_for "STOPPING=1" grep -sqx STOPPING=1 "$work/log/notify"

echo "== journal priorities"
"$node" push --db "$work/state/county-130102.db" --hub "ipc://$work/sock/none" \
	--timeout-ms 300 2>"$work/log/journal.log"
: >"$work/log/journal.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$work/log/journal.log") \
	"$node" push --db "$work/state/county-130102.db" --hub "ipc://$work/sock/none" \
	--timeout-ms 300 2>>"$work/log/journal.log"
check "warnings go to the journal as <4>: $(head -2 "$work/log/journal.log")" \
	grep -q '^<4>WARN' "$work/log/journal.log"

echo "== dpkg -i, upgrade, purge"
# The maintainer scripts as dpkg runs them, on this machine (the test
# runs alone: RUN_SERIAL). Only as root, and only where no tally package
# is installed, so that a real installation is never touched; anything
# installed here is purged on the way out, even after a failure. The
# tally user stays after the purge, as Debian's system users do; made by
# this test, it is deleted on the way out, so that the next run sees
# tally-common make it again.
installed_any() { dpkg-query -W -f='${Status}\n' tally-common tally-hub tally-node 2>/dev/null | grep -q installed; }
if [ "$(id -u)" != 0 ] || ! command -v dpkg >/dev/null; then
	echo "# not root: the packages are not installed here"
elif installed_any; then
	echo "# a tally package is installed on this machine: left alone, not installed over"
else
	purge_all() { dpkg --purge tally-node tally-hub tally-common >>"$work/log/dpkg.log" 2>&1; }
	cl_on_exit 'installed_any && purge_all'
	if ! getent passwd tally >/dev/null; then
		cl_on_exit 'userdel tally 2>/dev/null; groupdel tally 2>/dev/null; true'
	fi
	dpkg -i "$deb_common" "$deb_hub" "$deb_node" >"$work/log/dpkg.log" 2>&1
	check "dpkg -i of the three packages: $(tail -3 "$work/log/dpkg.log")" test $? -eq 0
	check "the tally system user exists" getent passwd tally
	check "its home is /var/lib/tally, and it has no login shell" bash -c \
		"getent passwd tally | grep -q ':/var/lib/tally:/usr/sbin/nologin$'"
	check "installed tally-hub runs" /usr/bin/tally-hub --version
	check "installed tally-node finds its data in /usr/share/tally" bash -c \
		"env -u TALLY_DATA_DIR /usr/bin/tally-node indicators | grep -q mfg_pass_rate"
	check "the sample configuration is in /etc/tally" test -f /etc/tally/node-county.ini
	echo "# changed by this machine's administrator" >>/etc/tally/node-county.ini
	dpkg -i "$deb_common" "$deb_hub" "$deb_node" >>"$work/log/dpkg.log" 2>&1
	check "the same packages again (an upgrade's path): $(tail -2 "$work/log/dpkg.log")" test $? -eq 0
	check "a changed conffile is kept over an upgrade" \
		grep -q "changed by this machine's administrator" /etc/tally/node-county.ini
	mkdir -p /var/lib/tally
	keep=/var/lib/tally/package-test-$$.db
	echo test >"$keep"
	purge_all
	check "dpkg --purge of the three packages" test $? -eq 0
	check "the tally user is kept on purge" getent passwd tally
	check "nothing is left installed" bash -c "! dpkg-query -W -f='\${Status}\n' tally-common tally-hub tally-node 2>/dev/null | grep -q ' installed'"
	check "the binaries are gone" test ! -e /usr/bin/tally-hub -a ! -e /usr/bin/tally-node
	check "the configuration is gone with the purge" test ! -e /etc/tally/node-county.ini
	check "a database in /var/lib/tally is kept on purge" test -f "$keep"
	rm -f "$keep"
	rmdir /var/lib/tally 2>/dev/null
fi

cl_finish
