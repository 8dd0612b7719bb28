#!/usr/bin/env bash
# scripts/get-mnist.sh [DIR]: puts the four MNIST files (gzipped IDX, as
# published by LeCun, Cortes and Burges) into DIR and checks their md5 sums
# against scripts/MD5SUMS-mnist.
#
#   DIR defaults to $CONVNET_DATA, else ${XDG_CACHE_HOME:-~/.cache}/convnet/mnist.
#   A file already in DIR with the right sum is kept; a wrong one is replaced.
#   If CONVNET_MNIST_SOURCE names a directory holding the files, they are
#   copied from there instead of downloaded (offline machines, tests).
#   Otherwise each file is downloaded with curl or wget from the first mirror
#   that works; CONVNET_MNIST_MIRRORS="URL1 URL2" replaces the mirror list.
#
# Then train with: convnet-train --data DIR ...   (or export CONVNET_DATA=DIR)
# Exit status: 0 when all four files are present and verified, 1 otherwise.
set -euo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
sums_file="$script_dir/MD5SUMS-mnist"
dir=${1:-${CONVNET_DATA:-${XDG_CACHE_HOME:-$HOME/.cache}/convnet/mnist}}
mirrors=${CONVNET_MNIST_MIRRORS:-"https://storage.googleapis.com/cvdf-datasets/mnist/ https://ossci-datasets.s3.amazonaws.com/mnist/"}
source_dir=${CONVNET_MNIST_SOURCE:-}

die() { echo "get-mnist: error: $*" >&2; exit 1; }

[ -f "$sums_file" ] || die "missing $sums_file (the expected md5 sums)"
if command -v md5sum >/dev/null 2>&1; then
  md5_of() { md5sum "$1" | cut -d' ' -f1; }
elif command -v md5 >/dev/null 2>&1; then   # macOS
  md5_of() { md5 -q "$1"; }
else
  die "neither md5sum nor md5 is installed: cannot verify the files"
fi

# One download attempt with whichever client exists; timeouts so a dead
# network fails in seconds, retries for a flaky one.
fetch() {  # url, output file
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --connect-timeout 15 --max-time 600 --retry 2 --retry-delay 2 -o "$2" "$1" </dev/null
  elif command -v wget >/dev/null 2>&1; then
    wget -q --timeout=15 --tries=3 -O "$2" "$1" </dev/null
  else
    die "neither curl nor wget is installed; install one, or copy the files into $dir by hand"
  fi
}

if [ -n "$source_dir" ] && [ ! -d "$source_dir" ]; then
  die "CONVNET_MNIST_SOURCE=$source_dir is not a directory"
fi
mkdir -p "$dir" || die "cannot create directory $dir"

while read -r want name; do
  [ -n "$name" ] || continue
  target="$dir/$name"
  if [ -f "$target" ]; then
    if [ "$(md5_of "$target")" = "$want" ]; then
      echo "get-mnist: $name: already present, md5 ok"
      continue
    fi
    echo "get-mnist: $name: present but md5 differs; fetching it again"
  fi
  part="$target.part.$$"
  trap 'rm -f "$part"' EXIT

  if [ -n "$source_dir" ]; then
    [ -f "$source_dir/$name" ] || die "CONVNET_MNIST_SOURCE=$source_dir has no $name"
    cp "$source_dir/$name" "$part" || die "could not copy $source_dir/$name to $dir"
    from="$source_dir/$name"
  else
    from=""
    tried=()
    for m in $mirrors; do
      url="${m%/}/$name"
      tried+=("$url")
      echo "get-mnist: $name: downloading $url"
      if fetch "$url" "$part" && [ -s "$part" ]; then
        if [ "$(md5_of "$part")" = "$want" ]; then from=$url; break; fi
        echo "get-mnist: $name: md5 mismatch from $url; trying the next mirror" >&2
      else
        echo "get-mnist: $name: $url failed" >&2
      fi
      rm -f "$part"
    done
    if [ -z "$from" ]; then
      rm -f "$part"
      die "could not download $name from any mirror (tried: ${tried[*]}): are you offline?" \
          "Copy the four MNIST .gz files into $dir by hand, or set" \
          "CONVNET_MNIST_SOURCE=/dir/with/the/files and run this again."
    fi
  fi

  got=$(md5_of "$part")
  if [ "$got" != "$want" ]; then
    rm -f "$part"
    die "$name from $from: md5 $got, expected $want (corrupt or not the MNIST file)"
  fi
  mv -f "$part" "$target"
  trap - EXIT
  echo "get-mnist: $name: ok (from $from)"
done < "$sums_file"

abs=$(cd "$dir" && pwd)
echo "get-mnist: all four MNIST files are in $abs"
echo "get-mnist: train with --data $abs, or: export CONVNET_DATA=$abs"
