#!/usr/bin/env bash
# shellcheck disable=SC2317  # (cleanup runs from a trap; shellcheck thinks it unreachable)
# two_hosts.sh <np> <program> [args...]
#
# Runs an MPI program on two simulated hosts: two network namespaces ("A" and "B") joined by a
# veth pair, each with one address in a private /24. mpirun runs inside A; it starts the remote
# Open MPI daemon (orted) in B through a small rsh agent that enters B with `ip netns exec`, so
# no sshd is needed. Ranks are placed round-robin by node (rank 0 on A, rank 1 on B, rank 2 on
# A, ...), and MPI traffic is forced onto TCP over the veth: the only way the two halves can talk.
# Written for Open MPI 4.1 (the flags below are Open MPI's).
#
# Exit status: mpirun's (124 if the whole-run timeout hit it); 77 (Meson's "skipped") with one
# line on stderr when this machine cannot build the two hosts (not root, no `ip`, no
# CAP_NET_ADMIN, no veth, no Open MPI mpirun); 2 on bad usage.
#
# Environment:
#   TWO_HOSTS_TIMEOUT   whole-run limit in seconds (default 120); the run is killed after it.
#   TWO_HOSTS_VERBOSE   if 1: print the setup, the mpirun command line and Open MPI's job map,
#                       and after the run the bytes that crossed the veth, on stderr.
#
# Everything it creates (namespaces, veth pair, temporary directory, left-over processes in the
# namespaces) is removed by a trap on EXIT, INT and TERM, whichever way the run ends.
#
# Measured with Open MPI 4.1.4 on a 2-core VM: a 2-rank run of mpi_hello takes ~0.7 s in all.
# If a rank dies (e.g. SIGKILL), its TCP peers report "An MPI communication peer process has
# unexpectedly disconnected" within ~10 ms, mpirun aborts the job and exits 137 (128 + 9) about
# 3.4 s later; that wait is Open MPI's kill sequence (odls_base_sigkill_timeout, 1 s per step).
# OMPI_MCA_odls_base_sigkill_timeout=0 in the environment cuts it to ~0.4 s.
set -u

me=two_hosts.sh
skip() { echo "$me: SKIP: $*" >&2; exit 77; }
die() { echo "$me: $*" >&2; exit 2; }
say() { if [[ ${TWO_HOSTS_VERBOSE:-0} == 1 ]]; then echo "$me: $*" >&2; fi; }

if (($# < 2)); then die "usage: $me <np> <program> [args...]"; fi
np=$1
program=$2
shift 2
[[ $np =~ ^[1-9][0-9]*$ ]] || die "np must be a positive integer, got '$np'"
if [[ $program != */* ]]; then
  found=$(command -v -- "$program") || die "program '$program' not found on PATH"
  program=$found
fi
[[ -f $program && -x $program ]] || die "program '$program' is not an executable file"
# Absolute, because the remote side starts in whatever directory orted chooses.
program=$(realpath -- "$program")
limit=${TWO_HOSTS_TIMEOUT:-120}
[[ $limit =~ ^[1-9][0-9]*$ ]] || die "TWO_HOSTS_TIMEOUT must be a positive integer, got '$limit'"

# --- Can this machine do it at all? Anything missing is "skipped", not "failed". -------------
((EUID == 0)) || skip "needs root to create network namespaces (running as uid $EUID)"
for tool in ip mpirun unshare timeout hostname realpath; do
  command -v "$tool" >/dev/null 2>&1 || skip "'$tool' not found on PATH"
done
mpirun_path=$(command -v mpirun)
"$mpirun_path" --version 2>/dev/null | grep -q 'Open MPI' ||
  skip "$mpirun_path is not Open MPI's mpirun (its flags are Open MPI's)"

# Unique per invocation (PID, plus a random part in case a PID is reused after a run that was
# SIGKILLed before its cleanup): parallel CI jobs and meson tests get different namespaces.
tag="xg$$-$RANDOM"
ns_a="$tag-a"
ns_b="$tag-b"
# A per-PID /24 is not strictly needed (the addresses exist only inside the two private
# namespaces), but it keeps the logs of concurrent runs apart.
subnet="10.213.$(($$ % 254 + 1))"
addr_a="$subnet.1"
addr_b="$subnet.2"
workdir=""
child=""

ns_exists() { ip netns list 2>/dev/null | awk '{ print $1 }' | grep -qxF -- "$1"; }

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n $child ]] && kill -0 "$child" 2>/dev/null; then
    # Let timeout pass TERM on to mpirun, which then tears down its ranks on both hosts.
    kill -TERM "$child" 2>/dev/null
    local i
    for ((i = 0; i < 50; ++i)); do
      kill -0 "$child" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$child" 2>/dev/null
    wait "$child" 2>/dev/null
  fi
  # Processes still inside a namespace (a stray orted or rank) would keep it alive after
  # `ip netns del`; only this run's processes can be in these namespaces, so end them.
  local ns pids
  for ns in "$ns_a" "$ns_b"; do
    if ns_exists "$ns"; then
      pids=$(ip netns pids "$ns" 2>/dev/null)
      if [[ -n $pids ]]; then
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null
      fi
      # Deleting a namespace destroys its end of the veth, and with it the peer.
      ip netns del "$ns" 2>/dev/null
    fi
  done
  if [[ -n $workdir ]]; then rm -rf -- "$workdir"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- Two hosts and a cable. ---------------------------------------------------------------------
# `ip netns add` needs CAP_SYS_ADMIN, the veth needs CAP_NET_ADMIN and the veth driver; ip's own
# one-line error goes into the skip message so the reason is visible in the test log.
err=$(ip netns add "$ns_a" 2>&1) || skip "cannot create a network namespace: ${err//$'\n'/ }"
err=$(ip netns add "$ns_b" 2>&1) || skip "cannot create a second network namespace: ${err//$'\n'/ }"
# Created directly inside A with its peer moved straight into B, so the interface names never
# exist in the caller's namespace and cannot collide with another job's.
err=$(ip -n "$ns_a" link add veth0 type veth peer name veth0 netns "$ns_b" 2>&1) ||
  skip "cannot create a veth pair (needs CAP_NET_ADMIN and the veth driver): ${err//$'\n'/ }"
ip -n "$ns_a" addr add "$addr_a/24" dev veth0 || exit 1
ip -n "$ns_b" addr add "$addr_b/24" dev veth0 || exit 1
for ns in "$ns_a" "$ns_b"; do
  # IPv4 only on the cable: Open MPI's TCP btl also lists the veth's IPv6 link-local address,
  # and one address family keeps "which address did it use" unambiguous. Best effort (a kernel
  # without IPv6 has no such switch).
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
    >/dev/null 2>&1 || true
  ip -n "$ns" link set lo up || exit 1
  ip -n "$ns" link set veth0 up || exit 1
done
say "namespaces $ns_a ($addr_a) and $ns_b ($addr_b)"

workdir=$(mktemp -d "${TMPDIR:-/tmp}/$tag.XXXXXX") || exit 1
slots=$(((np + 1) / 2))
printf '%s slots=%d\n%s slots=%d\n' "$addr_a" "$slots" "$addr_b" "$slots" >"$workdir/hostfile"

# Why each side also gets its own hostname (UTS namespace): network namespaces share the
# machine's hostname, and Open MPI 4.1 keys part of its per-process bookkeeping on it. With both
# sides called the same, np=2 happened to pass but np=4 (two ranks per host) crashed every time
# with SIGSEGV in mca_pml_ob1_recv_frag_callback_match during the first collective, and the
# remote ranks' output was lost. `unshare --uts` + `hostname` names A and B "<tag>-a" and
# "<tag>-b" (only inside those private UTS namespaces; the machine's own hostname is untouched),
# after which MPI_Get_processor_name and MPI_COMM_TYPE_SHARED both see two nodes.
#
# The rsh agent: Open MPI calls it as `agent <host> <command words...>`, like ssh, and the words
# form one shell command line (they may contain `;` and quoted arguments), hence `sh -c "$*"`.
# The remote orted inherits mpirun's environment through it (there is no login shell).
cat >"$workdir/agent" <<EOF
#!/usr/bin/env bash
host=\$1
shift
case \$host in
  $addr_a) ns=$ns_a ;;
  $addr_b) ns=$ns_b ;;
  *) echo "$me agent: unknown host '\$host'" >&2; exit 255 ;;
esac
exec ip netns exec "\$ns" unshare --uts sh -c 'hostname "\$0" && exec sh -c "\$1"' "\$ns" "\$*"
EOF
chmod +x "$workdir/agent"

cidr="$subnet.0/24"
# shellcheck disable=SC2054  # (the commas in "tcp,self" are Open MPI's list syntax)
mpirun_args=(
  --allow-run-as-root
  -np "$np"
  --hostfile "$workdir/hostfile"
  # Round-robin over nodes: rank 0 on A, rank 1 on B, rank 2 on A, ...; slots=ceil(np/2) per
  # host, so no oversubscription flag is needed.
  --map-by node
  # Both "hosts" share this machine's cores: binding each host's ranks to core 0, 1, ... would
  # stack the two hosts' ranks on the same cores.
  --bind-to none
  --mca plm_rsh_agent "$workdir/agent"
  # TCP only (no shared memory), and only over the veth /24, for both MPI data (btl) and the
  # runtime's own control channel (oob). Inside the namespaces the only other interface is lo.
  --mca btl tcp,self
  --mca btl_tcp_if_include "$cidr"
  --mca oob_tcp_if_include "$cidr"
)
if [[ ${TWO_HOSTS_VERBOSE:-0} == 1 ]]; then mpirun_args+=(--display-map); fi
mpirun_args+=("$program" "$@")
say "mpirun ${mpirun_args[*]}"

# mpirun runs in the background and we `wait` for it: a trapped INT/TERM interrupts `wait` at
# once (it would not interrupt a foreground child), so the cleanup runs promptly. `timeout`
# signals its whole process group (mpirun, the agent, the local ranks); -k escalates to KILL.
# shellcheck disable=SC2016  # ($0 and $@ are expanded by the inner sh, on purpose)
timeout -k 10 "$limit" ip netns exec "$ns_a" unshare --uts \
  sh -c 'hostname "$0" && exec "$@"' "$ns_a" "$mpirun_path" "${mpirun_args[@]}" &
child=$!
wait "$child"
status=$?
child=""
if ((status == 124)); then echo "$me: run exceeded TWO_HOSTS_TIMEOUT=${limit}s and was killed" >&2; fi
if [[ ${TWO_HOSTS_VERBOSE:-0} == 1 ]]; then
  # Bytes that crossed the "cable", as counted on A's end: proof the ranks talked over the veth.
  ip -n "$ns_a" -s link show veth0 | awk -v me="$me" '
    /RX:/ { getline; rx = $1 } /TX:/ { getline; tx = $1 }
    END { printf "%s: veth carried %d bytes A->B and %d bytes B->A\n", me, tx, rx > "/dev/stderr" }'
fi
exit "$status"
