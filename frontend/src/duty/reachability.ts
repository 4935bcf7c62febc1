/**
 * Whether the police municipale can be reached now (Contract 3): on duty and an operator
 * connected. The report page asks before sending and shows <Unreachable> when not; the
 * report is then also sealed to the fallback recipients, which the key directory lists by
 * itself (GET /trust/recipients, entries marked `fallback`).
 */

import { useEffect, useState } from "preact/hooks";
import { getReachability, type Reachability } from "./api";

export type { Reachability } from "./api";

/** Never throws: a failed request reads as « not reachable, no fallback known ». */
export async function loadReachability(): Promise<Reachability> {
  try {
    return await getReachability();
  } catch {
    return { reachable: false, onDuty: false, operatorsConnected: false, fallback: false };
  }
}

/** The reachability, loaded when the component mounts (null until then). */
export function useReachability(): Reachability | null {
  const [value, setValue] = useState<Reachability | null>(null);
  useEffect(() => {
    let live = true;
    void loadReachability().then((found) => {
      if (live) setValue(found);
    });
    return () => {
      live = false;
    };
  }, []);
  return value;
}
