/** The mairie's daily screens, by path (app.tsx puts them in ROUTES). */

import { route } from "../../router";
import { AlertSettingsPage } from "./alertSettings";
import { ChannelsPage } from "./channels";
import { CharterPage } from "./charter";
import { MemberDevicesPage } from "./memberDevices";
import { ShopFormPage } from "./shopForm";
import { ShopImportPage } from "./shopImport";
import { SectorsPage } from "./sectors";
import { ShopsPage } from "./shops";

export const MAIRIE_ROUTES = [
  route("/coordination/commerces", () => <ShopsPage />),
  route("/coordination/commerces/nouveau", () => <ShopFormPage shop={null} />),
  route("/coordination/commerces/import", () => <ShopImportPage />),
  route("/coordination/commerces/:id", ({ id }) => <ShopFormPage shop={id} />, "shop-edit"),
  route("/coordination/membres/:id", ({ id }) => <MemberDevicesPage member={id} />, "member"),
  route("/coordination/charte", () => <CharterPage />),
  route("/coordination/reglages", () => <AlertSettingsPage />),
  route("/coordination/secteurs", () => <SectorsPage />),
  route("/coordination/joignabilite", () => <ChannelsPage />),
];
