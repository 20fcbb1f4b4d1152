// Runs a flow set through SimGrid's flow-level network model (S4U, C++ core) and prints every
// flow's completion time. Used by bench/network.bench.ts for conformance and speed; not a test.
//
//   simgrid-flows FLOWS_FILE OUT_FILE [--cfg=...]
//
// FLOWS_FILE: "L n" then n lines "bandwidthBytesPerS latencyS"; "H n" (hosts h0..h{n-1});
// "R n" then n lines "source target k link_1 .. link_k"; "F n" then n lines
// "source target sizeBytes startS", sorted by start. OUT_FILE gets one line per flow,
// "id completionS", and stdout one line "simgrid-run-seconds X cpu Y" (wall and CPU time of
// the engine run).
#include <simgrid/s4u.hpp>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <vector>

namespace sg4 = simgrid::s4u;

struct FlowSpec {
  int source;
  int target;
  double size;
  double start;
};

int main(int argc, char** argv) {
  sg4::Engine e(&argc, argv);
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s FLOWS_FILE OUT_FILE [--cfg=...]\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1]);
  std::string tag;
  long n;
  auto* zone = sg4::create_full_zone("world");
  std::vector<sg4::Link*> links;
  in >> tag >> n;
  for (long i = 0; i < n; i++) {
    double bw, lat;
    in >> bw >> lat;
    auto* link = zone->create_link("l" + std::to_string(i), bw);
    link->set_latency(lat);
    link->seal();
    links.push_back(link);
  }
  std::vector<sg4::Host*> hosts;
  in >> tag >> n;
  for (long i = 0; i < n; i++) hosts.push_back(zone->create_host("h" + std::to_string(i), 1e9)->seal());
  in >> tag >> n;
  for (long i = 0; i < n; i++) {
    int s, t, k;
    in >> s >> t >> k;
    std::vector<sg4::LinkInRoute> route;
    for (int j = 0; j < k; j++) {
      int l;
      in >> l;
      route.emplace_back(links[l]);
    }
    zone->add_route(hosts[s]->get_netpoint(), hosts[t]->get_netpoint(), nullptr, nullptr, route, false);
  }
  zone->seal();
  std::vector<FlowSpec> flows;
  in >> tag >> n;
  for (long i = 0; i < n; i++) {
    FlowSpec f;
    in >> f.source >> f.target >> f.size >> f.start;
    flows.push_back(f);
  }
  std::vector<double> done(flows.size(), -1);
  // One actor per flow, spawned at its start time (SimGrid's idiom): it sends, and notes the
  // clock when its communication completes. Only the flows in progress have a live actor.
  sg4::Actor::create("spawner", hosts[0], [&]() {
    for (size_t i = 0; i < flows.size(); i++) {
      if (flows[i].start > sg4::Engine::get_clock()) sg4::this_actor::sleep_until(flows[i].start);
      sg4::Actor::create("flow", hosts[flows[i].source], [&, i]() {
        sg4::Comm::sendto(hosts[flows[i].source], hosts[flows[i].target], static_cast<uint64_t>(flows[i].size));
        done[i] = sg4::Engine::get_clock();
      });
    }
  });
  auto t0 = std::chrono::steady_clock::now();
  std::clock_t c0 = std::clock();
  e.run();
  std::clock_t c1 = std::clock();
  auto t1 = std::chrono::steady_clock::now();
  std::ofstream out(argv[2]);
  out.precision(17);
  for (size_t i = 0; i < flows.size(); i++) out << i << " " << done[i] << "\n";
  std::printf("simgrid-run-seconds %.6f cpu %.6f\n", std::chrono::duration<double>(t1 - t0).count(), static_cast<double>(c1 - c0) / CLOCKS_PER_SEC);
  return 0;
}
