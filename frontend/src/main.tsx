import { render } from "preact";
import { App } from "./app";
import { listenForInstallOffer } from "./pwa/install";
import { registerServiceWorker } from "./pwa/register";
import "./styles.css";

listenForInstallOffer();
registerServiceWorker();

const root = document.getElementById("app");
if (root) render(<App />, root);
