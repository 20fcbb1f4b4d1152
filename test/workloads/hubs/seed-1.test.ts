// mf-ec2-11 with hubs and without, 200 clocks, seed 1 (converge.ts says why).
import { hubsConverge } from "./converge.js";

hubsConverge(1);
