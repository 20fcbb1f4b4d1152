#!/usr/bin/env node
// `npm run test:hosts`: test/hosts/netns.hosts.ts, `gaia launch --hosts netns` on real network
// namespaces. It needs Linux, root, a working `ip netns` (a namespace, a veth pair and an htb qdisc
// can be made), and openssl (for the TLS certificate);
// where one is missing it prints why it is skipped and exits 0, so CI runs it wherever it can.
import { spawnSync } from "node:child_process";

const works = (command, args) => {
  const r = spawnSync(command, args, { encoding: "utf8" });
  return r.error ? r.error.message : r.status === 0 ? null : (r.stderr || r.stdout || `exit ${r.status}`).trim();
};
const why =
  process.platform !== "linux" ? `network namespaces are Linux only (this is ${process.platform})`
  : process.getuid() !== 0 ? "not root (it makes network namespaces, veth pairs and a bridge)"
  : works("ip", ["netns", "list"]) !== null ? `\`ip netns list\` does not work here: ${works("ip", ["netns", "list"])}`
  : works("openssl", ["version"]) !== null ? "openssl is not installed (no way to make the TLS certificate)"
  : probe();
/** Listing namespaces needs no privilege; making one, a veth pair in it and an htb qdisc does (a container may refuse them). */
function probe() {
  const name = `gaia-${process.pid}-probe`;
  const steps = [
    ["ip", "netns", "add", name],
    ["ip", "-n", name, "link", "add", "probe0", "type", "veth", "peer", "name", "probe1"],
    ["tc", "-n", name, "qdisc", "add", "dev", "probe0", "root", "handle", "1:", "htb"],
  ];
  let failed = null;
  for (const argv of steps) {
    const error = works(argv[0], argv.slice(1));
    if (error !== null) {
      failed = `\`${argv.join(" ")}\` fails here: ${error}`;
      break;
    }
  }
  works("ip", ["netns", "delete", name]);
  return failed;
}
if (why !== null) {
  console.log(`test:hosts skipped: ${why}`);
  process.exit(0);
}
const result = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", "--test", "test/hosts/netns.hosts.ts"], { stdio: "inherit" });
process.exit(result.status ?? 1);
