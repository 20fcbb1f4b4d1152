/**
 * Shell completion for `gaia`: commands and topics, each command's flags, and the values a user
 * types most: file names (scenario and cluster files, run folders), the bundled scenarios by name,
 * the synchronization models (as a comma-separated list for --sync) and every flag's fixed choices.
 *
 * The script is generated from the commands oclif loads, so it lists what this build has. It is
 * plain bash (zsh runs it through bashcompinit) and never calls `gaia` while completing: a
 * completion is instant, and the bundled scenario names are those of the moment it was written.
 */

/** What a flag's value or a positional argument completes to. */
export type ValueKind =
  | { readonly kind: "none" } // a boolean flag: no value
  | { readonly kind: "free" } // a number, a name, a path=value: nothing to offer
  | { readonly kind: "words"; readonly words: readonly string[] } // one of fixed choices
  | { readonly kind: "list"; readonly words: readonly string[] } // a comma-separated list of them
  | { readonly kind: "file" } // any file
  | { readonly kind: "dir" } // a folder
  | { readonly kind: "scenario" }; // a bundled scenario name or a .yaml/.yml file

export interface CompletedCommand {
  /** oclif's id, with colons: "scenarios:validate". */
  readonly id: string;
  /** `--name` (and `-c` for a char) to what its value completes to. */
  readonly flags: ReadonlyMap<string, ValueKind>;
  /** Positional arguments, in order; the last repeats (several files, several run folders). */
  readonly args: readonly ValueKind[];
}

/** The parts of an oclif command that completion reads. */
export interface CommandShape {
  readonly id: string;
  readonly hidden?: boolean | undefined;
  readonly flags: Readonly<Record<string, { readonly type: string; readonly char?: string | undefined; readonly options?: readonly string[] | undefined; readonly hidden?: boolean | undefined }>>;
  readonly args: Readonly<Record<string, { readonly options?: readonly string[] | undefined }>>;
}

/** Flags whose value is a file or a folder, by name (oclif's string flags do not say). */
const fileFlags: Readonly<Record<string, ValueKind["kind"]>> = { cluster: "file", "secret-file": "file", out: "dir" };
/** Commands whose --out is a file, not a folder. */
const outIsFile = new Set(["calibrate", "scenarios:schema"]);
/** Positional arguments by name: scenario files (or bundled names), run or sweep folders. */
const argKinds: Readonly<Record<string, ValueKind["kind"]>> = { file: "scenario", runs: "dir", dirs: "dir" };

/** What each command's flags and arguments complete to. `syncModels` feeds --sync. */
export function completionSpec(commands: readonly CommandShape[], syncModels: readonly string[]): CompletedCommand[] {
  const kindOf = (id: string, name: string, flag: CommandShape["flags"][string]): ValueKind => {
    if (flag.type === "boolean") return { kind: "none" };
    if (flag.options !== undefined && flag.options.length > 0) return { kind: "words", words: flag.options };
    if (name === "sync") return { kind: "list", words: syncModels };
    const kind = name === "out" && outIsFile.has(id) ? "file" : fileFlags[name];
    return kind === "file" ? { kind: "file" } : kind === "dir" ? { kind: "dir" } : { kind: "free" };
  };
  return commands
    .filter((c) => !c.hidden)
    .map((c) => {
      const flags = new Map<string, ValueKind>();
      for (const [name, flag] of Object.entries(c.flags)) {
        if (flag.hidden) continue;
        const kind = kindOf(c.id, name, flag);
        flags.set(`--${name}`, kind);
        if (flag.char !== undefined) flags.set(`-${flag.char}`, kind);
      }
      const args = Object.entries(c.args).map(([name, arg]): ValueKind => {
        if (arg.options !== undefined && arg.options.length > 0) return { kind: "words", words: arg.options };
        const kind = argKinds[name];
        return kind === "scenario" ? { kind: "scenario" } : kind === "dir" ? { kind: "dir" } : { kind: "free" };
      });
      return { id: c.id, flags, args };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** A word as a single-quoted shell word. */
const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

/** The bash code that completes `$cur` as `kind` into COMPREPLY. */
function complete(kind: ValueKind): string {
  switch (kind.kind) {
    case "none":
    case "free":
      return "COMPREPLY=()";
    case "words":
      return `COMPREPLY=($(compgen -W ${quote(kind.words.join(" "))} -- "$cur"))`;
    case "list":
      return `_gaia_list ${quote(kind.words.join(" "))}`;
    case "file":
      return "_gaia_files";
    case "dir":
      return "_gaia_dirs";
    case "scenario":
      return "_gaia_scenarios";
  }
}

/**
 * The bash completion script for `bin` (the `complete` line binds it to that name). zsh sources the
 * same script after `bashcompinit` (see `zshScript`).
 */
export function bashScript(bin: string, spec: readonly CompletedCommand[], bundledScenarios: readonly string[]): string {
  const ids = spec.map((c) => c.id);
  // Topics (the colon prefixes of ids) and commands, each with its next words.
  const next = new Map<string, Set<string>>([["", new Set()]]);
  for (const id of ids) {
    const parts = id.split(":");
    for (let i = 0; i < parts.length; i++) {
      const parent = parts.slice(0, i).join(":");
      if (!next.has(parent)) next.set(parent, new Set());
      next.get(parent)!.add(parts[i]!);
    }
  }
  const known = [...next.keys(), ...ids].filter((k) => k !== "");
  const fn = `_${bin.replace(/[^A-Za-z0-9_]/g, "_")}_complete`;
  const lines: string[] = [
    `# ${bin} shell completion (bash; zsh through bashcompinit), written by \`${bin} autocomplete --script\`.`,
    "# Commands, flags, file names, bundled scenario names, --sync models and flag choices.",
    `_gaia_scenario_names=${quote(bundledScenarios.join(" "))}`,
    `_gaia_known=${quote(` ${[...new Set(known)].sort().join(" ")} `)}`,
    "",
    "# Files (with folders, to descend into), one per line, so names with spaces survive.",
    "_gaia_files() {",
    "  compopt -o filenames 2>/dev/null",
    "  local IFS=$'\\n'",
    '  COMPREPLY=($(compgen -f -- "$cur"))',
    "}",
    "_gaia_dirs() {",
    "  compopt -o filenames 2>/dev/null",
    "  local IFS=$'\\n'",
    '  COMPREPLY=($(compgen -d -- "$cur"))',
    "}",
    "# A scenario: a bundled one by name, or a .yaml/.yml file (folders to descend into).",
    "_gaia_scenarios() {",
    "  compopt -o filenames 2>/dev/null",
    '  COMPREPLY=($(compgen -W "$_gaia_scenario_names" -- "$cur"))',
    "  local IFS=$'\\n' f",
    '  for f in $(compgen -f -- "$cur"); do',
    '    if [[ -d "$f" || "$f" == *.yaml || "$f" == *.yml ]]; then COMPREPLY+=("$f"); fi',
    "  done",
    "}",
    "# A comma-separated list of words: completes the word after the last comma, keeping what is before it.",
    "_gaia_list() {",
    '  local done="" last="$cur" w',
    '  if [[ "$cur" == *,* ]]; then done="${cur%,*},"; last="${cur##*,}"; fi',
    "  COMPREPLY=()",
    '  for w in $(compgen -W "$1" -- "$last"); do',
    '    [[ ",$done" == *",$w,"* ]] || COMPREPLY+=("$done$w")',
    "  done",
    "  compopt -o nospace 2>/dev/null",
    "}",
    "",
    `${fn}() {`,
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="" cmd="" i w nargs=0',
    '  (( COMP_CWORD > 0 )) && prev="${COMP_WORDS[COMP_CWORD-1]}"',
    "  # --flag=value: bash splits it at '=' into --flag, =, value.",
    '  if [[ "$cur" == "=" ]]; then cur=""; elif (( COMP_CWORD > 1 )) && [[ "$prev" == "=" ]]; then prev="${COMP_WORDS[COMP_CWORD-2]}"; fi',
    "  # The command: the longest run of leading words that names a topic or a command.",
    "  for ((i = 1; i < COMP_CWORD; i++)); do",
    '    w="${COMP_WORDS[i]}"',
    '    [[ "$w" == -* ]] && break',
    '    if [[ "$_gaia_known" == *" ${cmd:+$cmd:}$w "* ]]; then cmd="${cmd:+$cmd:}$w"; else break; fi',
    "  done",
    "  # Positional arguments typed so far (words after the command that are not flags or their values).",
    "  local takes_value=0",
    "  for ((; i < COMP_CWORD; i++)); do",
    '    w="${COMP_WORDS[i]}"',
    '    if (( takes_value )); then takes_value=0; [[ "$w" == "=" ]] && takes_value=1; continue; fi',
    '    if [[ "$w" == -* ]]; then _gaia_takes_value "$cmd" "$w" && takes_value=1; continue; fi',
    '    [[ "$w" == "=" ]] && continue',
    "    ((nargs++))",
    "  done",
    '  case "$cmd" in',
  ];
  for (const c of spec) {
    const id = c.id;
    const flagNames = [...c.flags.keys()].filter((f) => f.startsWith("--"));
    lines.push(`    ${quote(id)})`);
    const valued = [...c.flags].filter(([, kind]) => kind.kind !== "none");
    if (valued.length > 0) {
      lines.push('      case "$prev" in');
      // Flags with the same completion share a branch.
      const byCode = new Map<string, string[]>();
      for (const [name, kind] of valued) {
        const code = complete(kind);
        byCode.set(code, [...(byCode.get(code) ?? []), name]);
      }
      for (const [code, names] of byCode) lines.push(`        ${names.join("|")}) ${code}; return ;;`);
      lines.push("      esac");
    }
    lines.push(`      if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W ${quote([...flagNames, "--help"].join(" "))} -- "$cur")); return; fi`);
    // Subcommands of a command that is also a topic (`gaia sweep merge` beside `gaia sweep FILE`).
    const subs = [...(next.get(id) ?? [])];
    const args = c.args.length === 0 ? [] : c.args;
    if (args.length === 0) lines.push(subs.length > 0 ? `      (( nargs == 0 )) && COMPREPLY=($(compgen -W ${quote(subs.join(" "))} -- "$cur"))` : "      COMPREPLY=()");
    else {
      lines.push('      case "$nargs" in');
      args.slice(0, -1).forEach((kind, n) => lines.push(`        ${n}) ${complete(kind)} ;;`));
      lines.push(`        *) ${complete(args.at(-1)!)} ;;`);
      lines.push("      esac");
      if (subs.length > 0) lines.push(`      (( nargs == 0 )) && COMPREPLY+=($(compgen -W ${quote(subs.join(" "))} -- "$cur"))`);
    }
    lines.push("      ;;");
  }
  // Topics that are not commands: their subcommands.
  for (const [topic, words] of next) {
    if (ids.includes(topic)) continue;
    lines.push(`    ${topic === "" ? '""' : quote(topic)}) COMPREPLY=($(compgen -W ${quote([...words].sort().join(" ") + (topic === "" ? " --help --version" : ""))} -- "$cur")) ;;`);
  }
  lines.push("  esac", "}", "");
  // Does flag $2 of command $1 take a value (so the next word is its value, not an argument)?
  lines.push("_gaia_takes_value() {", '  case "$1 $2" in');
  for (const c of spec) {
    const valued = [...c.flags].filter(([, kind]) => kind.kind !== "none").map(([name]) => name);
    if (valued.length > 0) lines.push(`    ${valued.map((f) => quote(`${c.id} ${f}`)).join("|")}) return 0 ;;`);
  }
  lines.push("  esac", "  return 1", "}", "", `complete -F ${fn} ${bin}`, "");
  return lines.join("\n");
}

/** The zsh script: bash's through zsh's bashcompinit. */
export function zshScript(bin: string, spec: readonly CompletedCommand[], bundledScenarios: readonly string[]): string {
  return `# ${bin} shell completion for zsh (the bash script through bashcompinit).\nautoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n${bashScript(bin, spec, bundledScenarios)}`;
}
