/** A long-running loop the platform owns (controller, scheduler); stopped before the store closes. */
export interface PlatformLoop {
  name: string;
  stop(): Promise<void>;
}
