# The gloo reference of bench:allreduce: one rank of torch.distributed's gloo all-reduce (sum) of a
# float32 tensor among WORLD processes on loopback, ROUNDS times in a row; prints, as JSON, the
# wall-clock time in milliseconds at which each all-reduce returned (the bench takes, per round,
# the last rank's time, as it does for gaia's workers), and the process's CPU time (all its threads)
# in milliseconds by then.
#   python3 bench/allreduce-gloo.py RANK WORLD PORT FLOATS ROUNDS
import json
import sys
import time

import torch
import torch.distributed as dist


def main() -> None:
    rank, world, port, floats, rounds = (int(a) for a in sys.argv[1:6])
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    tensor = torch.full((floats,), 1e-3, dtype=torch.float32)
    dist.barrier()
    done = []
    cpu = []
    for _ in range(rounds):
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        done.append(time.time_ns() / 1e6)
        cpu.append(time.process_time() * 1000)
    dist.barrier()
    dist.destroy_process_group()
    print(json.dumps({"atMs": done, "cpuMs": cpu}))


if __name__ == "__main__":
    main()
