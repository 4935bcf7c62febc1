/**
 * The service worker (served at /sw.js, scope "/"; built by `vite build` into dist/sw.js,
 * see vite.config.ts). Each concern is its own module installing its own listeners here.
 */

import { readConfig } from "./config";
import { installPush } from "./push";
import { installShell } from "./shell";

declare const self: ServiceWorkerGlobalScope;

const config = readConfig(self);

// The app shell offline: install, activate and fetch.
installShell(self, config);

// Web Push: "push" shows the notification, "notificationclick" opens its page.
installPush(self);
