/**
 * Time as the decision code sees it: epoch milliseconds, handed in.
 * The server plugs in the wall clock, the simulator a virtual one, tests a FakeClock.
 *
 * Example: `const deadlineMs = clock.now() + 30_000;`
 */
export interface Clock {
  now(): number;
}
