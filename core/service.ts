/** Every service starts with `start(config)` and returns a handle whose `close()` leaves nothing running. */
export interface Service {
  close(): Promise<void>;
}
