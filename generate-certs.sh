#!/usr/bin/env bash
# Makes a small private CA and one TLS certificate per FIBRE node, so that
# fibre-agent can serve /metrics over HTTPS (--tls-cert/--tls-key) and
# Prometheus can verify it with nothing but ca.crt.
#
#   ./generate-certs.sh NODE...          NODE: IPv4 address, IPv6 address or DNS host name
#   CERTS_DIR=/path ./generate-certs.sh NODE...
#
# Layout under $CERTS_DIR (default ./certs):
#   ca.crt  ca.key  NODE/node.crt  NODE/node.key
#
# Re-running is safe: the CA is reused (never regenerated, so certificates
# already deployed stay valid) and nodes that already have a certificate are
# skipped, so adding a node is just "run it again with the new name".
set -euo pipefail

# Every file we create starts life private. Setting the umask (rather than
# chmod after the fact) closes the window in which a freshly written key would
# be readable by other users; certificates are opened up to 0644 explicitly.
umask 077

readonly PROG=${0##*/}
readonly CA_DAYS=3650   # ~10 years: replacing a CA means touching every node and Prometheus
readonly NODE_DAYS=825  # the longest validity Apple and browsers still accept for a server cert

usage() {
  echo "usage: $PROG NODE...   (NODE: IPv4 address, IPv6 address or DNS host name; output in \$CERTS_DIR, default ./certs)"
}

help() {
  usage
  cat <<'EOF'

Creates a CA (once) and one certificate per NODE signed by it, with NODE as
subject alternative name (IP for addresses, DNS for host names).

  CERTS_DIR/ca.crt          give to Prometheus (tls_config.ca_file)
  CERTS_DIR/ca.key          keep offline; needed only to sign more nodes
  CERTS_DIR/NODE/node.crt   copy to that node, pass as --tls-cert
  CERTS_DIR/NODE/node.key   copy to that node, pass as --tls-key

Existing CA files are reused and nodes that already have node.crt are skipped.
Host names must be plain RFC 1123 names (letters, digits, hyphens, dots);
underscores and trailing dots are refused.
EOF
}

# Exit 2 distinguishes "you called me wrong" from "something failed" (exit 1).
refuse() {
  echo "$PROG: $1" >&2
  usage >&2
  exit 2
}

die() {
  echo "$PROG: $1" >&2
  exit 1
}

# Leading zeros are refused: some resolvers read 010 as octal (= 8), so the
# certificate would not name the address the user meant.
is_ipv4() {
  local octet='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
  [[ $1 =~ ^$octet\.$octet\.$octet\.$octet$ ]]
}

# Full RFC 4291 text form: up to eight groups, at most one "::", optionally
# ending in a dotted IPv4 address. Zone ids (%eth0) and brackets are refused:
# neither can appear in a certificate's IP SAN.
is_ipv6() {
  local s=$1 head tail n
  [[ $s == *:* && $s =~ ^[0-9A-Fa-f:.]+$ ]] || return 1
  if [[ $s == *.* ]]; then
    local v4=${s##*:}
    is_ipv4 "$v4" || return 1
    s="${s%"$v4"}0:0" # an embedded IPv4 address takes the room of two groups
  fi
  if [[ $s == *::* ]]; then
    head=${s%%::*}
    tail=${s#*::}
    [[ $tail != *::* ]] || return 1
    n=$(( $(count_groups "$head") + $(count_groups "$tail") ))
    (( n <= 7 ))
  else
    n=$(count_groups "$s")
    (( n == 8 ))
  fi
}

# Prints how many groups a colon-separated run of 1-4 hex digit groups holds,
# or 99 (too many for any address) if it is malformed, e.g. an empty group.
count_groups() {
  local s=$1 colons
  if [[ -z $s ]]; then
    echo 0
  elif [[ $s =~ ^[0-9A-Fa-f]{1,4}(:[0-9A-Fa-f]{1,4})*$ ]]; then
    colons=${s//[^:]/}
    echo $(( ${#colons} + 1 ))
  else
    echo 99
  fi
}

# RFC 1123 host names. The character set alone already rules out path tricks
# (no "/", "..", spaces, leading "-"), which matters because NODE becomes a
# directory name. A name whose last label is all digits is refused because it
# is almost certainly a mistyped IPv4 address (256.1.1.1, 10.0.0) that would
# otherwise quietly become a DNS SAN nobody can connect to.
is_hostname() {
  local label='[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
  (( ${#1} <= 253 )) || return 1
  [[ $1 =~ ^$label(\.$label)*$ ]] || return 1
  [[ ! ${1##*.} =~ ^[0-9]+$ ]]
}

# ---- arguments: everything is validated before anything is created ---------

for arg in "$@"; do
  case $arg in
    -h | --help) help; exit 0 ;;
  esac
done
(( $# > 0 )) || refuse "no NODE given"

nodes=()
sans=()
declare -A seen=()
for arg in "$@"; do
  if [[ -z $arg ]]; then
    refuse "empty NODE" # e.g. an unset variable in the caller's command line
  elif [[ -n ${seen[$arg]:-} ]]; then
    continue # signing a name twice in one run would replace the first certificate
  elif [[ $arg == -* ]]; then
    refuse "unknown option '$arg'"
  elif [[ $arg == ca.crt || $arg == ca.key ]]; then
    refuse "'$arg' would collide with the CA file of that name"
  elif is_ipv4 "$arg" || is_ipv6 "$arg"; then
    sans+=("IP:$arg")
  elif is_hostname "$arg"; then
    sans+=("DNS:$arg")
  else
    refuse "'$arg' is not an IPv4 address, IPv6 address or DNS host name"
  fi
  nodes+=("$arg")
  seen[$arg]=1
done

command -v openssl >/dev/null || die "openssl not found (apt-get install openssl)"

dir=${CERTS_DIR:-./certs}
dir=${dir%/}
[[ -n $dir ]] || dir=/ # CERTS_DIR=/ is odd but should not become ""

# Work out what is missing first, so that a run that only skips nodes never
# needs ca.key, which the operator may have moved offline as advised.
todo=()
for i in "${!nodes[@]}"; do
  if [[ -e $dir/${nodes[$i]}/node.crt ]]; then
    echo "skip ${nodes[$i]}: $dir/${nodes[$i]}/node.crt already exists"
  else
    todo+=("$i")
  fi
done

if (( ${#todo[@]} == 0 )); then
  echo "nothing to do: every node already has a certificate in $dir"
  exit 0
fi

if [[ -e $dir/ca.crt || -e $dir/ca.key ]]; then
  [[ -f $dir/ca.crt ]] || die "$dir/ca.key exists but $dir/ca.crt does not; restore ca.crt, or remove ca.key to start a new CA (every node then needs a new certificate)"
  [[ -f $dir/ca.key ]] || die "$dir/ca.key is missing (kept offline?); put it back to sign new nodes"
  # A CA key that does not belong to ca.crt would sign certificates that
  # nobody can verify; catch that now instead of at the first scrape.
  [[ $(openssl x509 -in "$dir/ca.crt" -noout -pubkey) == "$(openssl pkey -in "$dir/ca.key" -pubout)" ]] ||
    die "$dir/ca.key does not belong to $dir/ca.crt"
  openssl x509 -in "$dir/ca.crt" -noout -checkend $(( NODE_DAYS * 86400 )) >/dev/null ||
    echo "$PROG: warning: $dir/ca.crt expires before the new certificates do ($(openssl x509 -in "$dir/ca.crt" -noout -enddate)); they stop verifying when it does" >&2
  new_ca=false
else
  new_ca=true
fi

mkdir -p "$dir"
# Scratch space inside the output directory, so finished files can be moved
# into place with an atomic rename: an interrupted run never leaves a
# half-written key or certificate where a later run would take it as done.
tmp=$(mktemp -d "$dir/.generate-certs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# OpenSSL 3 chatters on stderr even when all is well ("Certificate request
# self-signature ok"); show its output only when a command actually fails.
quiet() {
  local out
  out=$("$@" 2>&1) || { echo "$out" >&2; die "failed: $*"; }
}

# P-256: small, fast and accepted by Node.js, Go (Prometheus) and OpenSSL alike.
new_key() {
  quiet openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
}

# Our own config file, so the result does not depend on whatever defaults the
# system openssl.cnf happens to add.
cat >"$tmp/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
[ca_ext]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF

if [[ $new_ca == true ]]; then
  new_key "$tmp/ca.key"
  # A timestamp in the name tells two CAs apart when someone has several
  # certs directories and wonders which one a node's certificate came from.
  quiet openssl req -new -x509 -config "$tmp/openssl.cnf" -extensions ca_ext \
    -key "$tmp/ca.key" -subj "/CN=fibre-agent CA $(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    -sha256 -days "$CA_DAYS" -out "$tmp/ca.crt"
  chmod 0644 "$tmp/ca.crt"
  # ln instead of mv: it refuses to replace an existing file, so even a
  # concurrent run can never overwrite a CA that certificates depend on.
  ln "$tmp/ca.key" "$dir/ca.key" 2>/dev/null || die "$dir/ca.key appeared while running (another run?); not replacing it"
  ln "$tmp/ca.crt" "$dir/ca.crt" 2>/dev/null || die "$dir/ca.crt appeared while running (another run?); not replacing it"
  echo "created CA: $dir/ca.crt, $dir/ca.key (valid $CA_DAYS days)"
fi

created=()
for i in "${todo[@]}"; do
  node=${nodes[$i]}
  san=${sans[$i]}
  work="$tmp/node-$i"
  mkdir "$work"
  new_key "$work/node.key"
  # The subject CN only helps humans reading the certificate (clients match the
  # SAN); X.509 caps it at 64 characters, so very long names go without.
  if (( ${#node} <= 64 )); then subj="/O=fibre-agent/CN=$node"; else subj="/O=fibre-agent"; fi
  quiet openssl req -new -config "$tmp/openssl.cnf" -key "$work/node.key" -subj "$subj" -out "$work/node.csr"
  # clientAuth next to serverAuth lets the same certificate identify the node
  # as a client too, for setups that turn on mutual TLS.
  cat >"$work/ext.cnf" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  # A random 128-bit serial avoids keeping a serial file next to the CA and
  # still never repeats, even across CAs restored from backup.
  quiet openssl x509 -req -in "$work/node.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -sha256 -days "$NODE_DAYS" \
    -extfile "$work/ext.cnf" -out "$work/node.crt"
  openssl verify -CAfile "$dir/ca.crt" "$work/node.crt" >/dev/null || die "$node: the new certificate does not verify against $dir/ca.crt"
  chmod 0644 "$work/node.crt"
  mkdir -p "$dir/$node"
  # Key first, certificate last: node.crt is what marks a node as done.
  mv -f "$work/node.key" "$dir/$node/node.key"
  mv -f "$work/node.crt" "$dir/$node/node.crt"
  echo "created $node: $dir/$node/node.crt, $dir/$node/node.key ($san, valid $NODE_DAYS days)"
  created+=("$node")
done

echo
echo "where the files go:"
echo "  $dir/ca.crt -> give to Prometheus (tls_config.ca_file)"
for node in "${created[@]}"; do
  echo "  $dir/$node/node.crt + node.key -> copy to $node, pass as --tls-cert/--tls-key"
done
echo "  $dir/ca.key -> keep offline; needed only to sign more nodes"
