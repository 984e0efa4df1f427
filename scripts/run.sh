#!/usr/bin/env bash
# README command 1: install dependencies, build, and run `selfheal serve` on the embedded default
# (SQLite in ./selfheal-data, HTTP on 127.0.0.1:8080, no Kafka, no LLM). Extra arguments go to serve.
# Builds only the `selfheal` target: the tests and benchmarks are not compiled before the server starts.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh --target selfheal
exec build/selfheal serve "$@"
