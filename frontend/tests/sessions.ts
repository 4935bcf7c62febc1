/** A signed-in session as GET /session answers it, for tests of what the screen offers. */
import { normaliseSession, type Session } from "../src/types";

export function memberSession(
  role: string,
  permissions: string[],
  device = "active",
  status = "active",
): Session {
  return normaliseSession({
    authenticated: true,
    person: { id: "p", display_name: "Camille" },
    membership: { id: "m", role, role_label: role, status, commune: { id: "c" } },
    device: { id: "d", label: "Téléphone", status: device },
    root: null,
    demo: false,
    permissions,
  });
}
