// mf-ec2-11 with hubs and without, 200 clocks, seed 3 (converge.ts says why).
import { hubsConverge } from "./converge.js";

hubsConverge(3);
