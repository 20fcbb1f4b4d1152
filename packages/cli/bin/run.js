#!/usr/bin/env node
// The `gaia` command: oclif finds the commands in ../dist/commands (built by `tsc -b`).
import { execute } from "@oclif/core";

await execute({ dir: import.meta.url });
