// The live console: every call goes through the gateway's public API with the bearer
// token of a logged-in user. Orders are polled, not streamed: the saga's history is
// already in the order resource, and a poll is one more authenticated, rate-limited
// request, where a stream would hold a connection through the gateway per viewer.
"use strict";

const $ = (id) => document.getElementById(id);
const ACTIVE_POLL_MS = 1000; // while an order's saga runs
const IDLE_POLL_MS = 5000;
const SHOWN_ORDERS = 10;

const state = { token: sessionStorage.getItem("shopflow.token"), user: sessionStorage.getItem("shopflow.user"),
  features: null, products: [], orders: new Map(), timer: null, providerTimer: null };

class Problem extends Error {
  constructor(status, body) {
    super(body && (body.detail || body.title) ? `${body.title || status}: ${body.detail || ""}` : `HTTP ${status}`);
    this.status = status;
  }
}

async function api(path, { method = "GET", body, headers = {} } = {}) {
  const sent = { method, headers: { Accept: "application/json", ...headers } };
  if (state.token) sent.headers.Authorization = `Bearer ${state.token}`;
  if (body !== undefined) {
    sent.headers["Content-Type"] = "application/json";
    sent.body = JSON.stringify(body);
  }
  const response = await fetch(path, sent);
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : null;
  if (response.status === 401 && state.token) logOut("Your session ended: log in again.");
  if (!response.ok) throw new Problem(response.status, parsed);
  return parsed;
}

function say(text, kind = "error") {
  const box = $("message");
  box.textContent = text;
  box.className = kind === "info" ? "info" : "";
  box.hidden = !text;
}

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) node.append(child);
  return node;
}

const money = (minor, currency) =>
  new Intl.NumberFormat(undefined, { style: "currency", currency }).format(minor / 100);
// Fractional digits alone would print the milliseconds and nothing else: name every part.
const clock = (iso) => new Date(iso).toLocaleTimeString(undefined,
  { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, fractionalSecondDigits: 3 });

// --- logging in -----------------------------------------------------------------------

async function logIn(event) {
  event.preventDefault();
  const username = $("username").value;
  try {
    const answer = await api("/auth/token", { method: "POST", body: { username, password: $("password").value } });
    state.token = answer.access_token;
    state.user = username;
    sessionStorage.setItem("shopflow.token", state.token);
    sessionStorage.setItem("shopflow.user", username);
    $("password").value = "";
    say("");
    await enterShop();
  } catch (problem) {
    say(problem.message);
  }
}

function logOut(reason = "") {
  state.token = state.user = null;
  sessionStorage.removeItem("shopflow.token");
  sessionStorage.removeItem("shopflow.user");
  clearTimeout(state.timer);
  clearTimeout(state.providerTimer);
  state.orders.clear();
  $("order-list").replaceChildren();
  $("shop").hidden = $("logout").hidden = true;
  $("login").hidden = false;
  $("who").textContent = "";
  say(reason);
  $("username").focus();
}

async function enterShop() {
  $("login").hidden = true;
  $("shop").hidden = $("logout").hidden = false;
  $("who").textContent = `Logged in as ${state.user}`;
  $("order-title").focus(); // the login form is gone: the keyboard goes on from the shop
  const { features } = state;
  $("provider").hidden = !(features.provider_faults && state.user === "admin");
  $("dashboards").hidden = Object.keys(features.dashboards).length === 0;
  await loadProducts(true); // what a product created a moment ago has, not the cached page
  await pollOrders();
  if (!$("provider").hidden) await pollProvider();
}

// --- products and placing orders --------------------------------------------------------

async function loadProducts(fresh = false) {
  const answer = await api("/api/v1/products?limit=100", { headers: fresh ? { "Cache-Control": "no-cache" } : {} });
  state.products = Array.isArray(answer) ? answer : answer.products || answer.items || [];
  $("products").replaceChildren(...state.products.map((p) => element("tr", {},
    element("td", { textContent: p.sku }), element("td", { textContent: p.name }),
    element("td", { className: "num", textContent: money(p.price, p.currency) }),
    element("td", { className: "num", textContent: String(p.available) }))));
  const chosen = $("sku").value;
  $("sku").replaceChildren(...state.products.map((p) =>
    element("option", { value: p.sku, textContent: `${p.name} (${p.sku}), ${p.available} left` })));
  if (chosen) $("sku").value = chosen;
}

function scenario(name) {
  const inStock = state.products.find((p) => p.available > 0);
  const soldOut = state.products.find((p) => p.available === 0);
  if (!inStock && !(name === "out-of-stock" && soldOut)) return say("No product has stock left: an admin can set some.");
  if (name === "out-of-stock") {
    const product = soldOut || inStock;
    $("sku").value = product.sku;
    $("quantity").value = soldOut ? 1 : Math.min(100, product.available + 1);
  } else {
    $("sku").value = inStock.sku;
    $("quantity").value = 1;
  }
  $("payment-method").value = name === "declined" ? "tok_chargeDeclined" : "tok_visa";
  return placeOrder();
}

async function placeOrder(event) {
  if (event) event.preventDefault();
  const body = { items: [{ sku: $("sku").value, quantity: Number($("quantity").value) }],
    payment_method: $("payment-method").value };
  try {
    const order = await api("/api/v1/orders", { method: "POST", body, headers: { "Idempotency-Key": crypto.randomUUID() } });
    say(`Order ${order.id.slice(0, 8)} placed: PENDING until the saga decides.`, "info");
    state.orders.set(order.id, { ...order, saga: [] });
    await pollOrders();
  } catch (problem) {
    say(problem.message);
  }
}

// --- the live list of orders ------------------------------------------------------------

async function pollOrders() {
  clearTimeout(state.timer);
  try {
    const page = await api(`/api/v1/orders?limit=${SHOWN_ORDERS}`);
    let settled = false;
    for (const order of page.orders) {
      const known = state.orders.get(order.id);
      // A closed saga no longer changes: read it until it closes, then no more.
      if (!known || sagaOpen(known) || known.status !== order.status) {
        const read = await api(`/api/v1/orders/${order.id}`);
        settled ||= Boolean(known) && known.status === "PENDING" && read.status !== "PENDING";
        state.orders.set(order.id, read);
      }
    }
    const shown = page.orders.map((o) => o.id);
    for (const id of state.orders.keys()) if (!shown.includes(id)) state.orders.delete(id);
    renderOrders(shown);
    $("orders-refresh").textContent = `updated ${clock(new Date().toISOString())}`;
    if (settled) await loadProducts(true); // stock moved
  } catch (problem) {
    if (!state.token) return;
    say(problem.message);
  }
  if (!state.token) return;
  const running = [...state.orders.values()].some(sagaOpen);
  state.timer = setTimeout(pollOrders, running ? ACTIVE_POLL_MS : IDLE_POLL_MS);
}

// The saga engine closes an order's history with its own line, "completed" or
// "cancelled: why" (the rule `shop_client.saga_finished` uses too). The status alone does
// not tell: an order is CONFIRMED once paid, and its stock is committed after that.
function sagaOpen(order) {
  const last = (order.saga || []).at(-1);
  return !last || !/^(completed|cancelled)/.test(last.event);
}

function renderOrders(ids) {
  const items = ids.map((id) => state.orders.get(id)).map((order) => {
    const head = element("div", { className: "order-head" },
      element("code", { textContent: order.id.slice(0, 8), title: order.id }),
      element("span", { className: `status ${order.status}`, textContent: order.status }),
      element("span", { textContent: money(order.total, order.currency) }),
      element("span", { className: "hint", textContent: (order.items || []).map((i) => `${i.quantity} × ${i.sku}`).join(", ") }));
    if (order.cancellation_reason) head.append(element("span", { textContent: order.cancellation_reason }));
    const traceButton = element("button", { type: "button", textContent: "Trace", disabled: !state.features.traces });
    traceButton.setAttribute("aria-label", `Show the trace of order ${order.id.slice(0, 8)}`);
    traceButton.addEventListener("click", () => showTrace(order.id));
    head.append(traceButton);
    const steps = element("ol", { className: "saga" }, ...(order.saga || []).map((entry) =>
      element("li", {}, element("time", { dateTime: entry.at, textContent: clock(entry.at) }), ` ${entry.step}: ${entry.event}`)));
    steps.setAttribute("aria-label", `Saga of order ${order.id.slice(0, 8)}`);
    const item = element("li", { className: "order" }, head, steps);
    item.dataset.orderId = order.id;
    item.dataset.status = order.status;
    return item;
  });
  $("order-list").replaceChildren(...items);
}

// --- an order's trace as a waterfall ----------------------------------------------------

async function showTrace(orderId) {
  $("trace").hidden = false;
  $("trace-summary").textContent = "Loading…";
  $("waterfall").replaceChildren();
  try {
    const trace = await api(`/api/v1/orders/${orderId}/trace`);
    $("trace-summary").textContent =
      `Order ${orderId.slice(0, 8)}: ${trace.rows.length} spans, ${trace.services.length} services (${trace.services.join(", ")}), ${trace.duration_ms.toFixed(1)} ms. Trace ${trace.trace_id}.`;
    const whole = trace.duration_ms || 1;
    $("waterfall").replaceChildren(...trace.rows.map((row) => {
      const label = element("div", { className: "label", title: `${row.service} ${row.operation}` },
        element("b", { textContent: row.service }), ` ${row.operation}`);
      label.style.paddingLeft = `${row.depth * 0.75}rem`;
      label.setAttribute("role", "cell");
      const bar = element("div", { className: `bar ${row.kind}${row.error ? " error" : ""}` });
      bar.style.left = `${(row.start_ms / whole) * 100}%`;
      bar.style.width = `${(row.duration_ms / whole) * 100}%`;
      const track = element("div", { className: "track", title: `+${row.start_ms.toFixed(1)} ms, ${row.duration_ms.toFixed(1)} ms` }, bar);
      track.setAttribute("role", "cell");
      track.setAttribute("aria-label", `starts at ${row.start_ms.toFixed(1)} ms, lasts ${row.duration_ms.toFixed(1)} ms${row.error ? ", failed" : ""}`);
      const line = element("div", { className: "row" }, label, track);
      line.setAttribute("role", "row");
      return line;
    }));
    $("trace-title").focus?.();
  } catch (problem) {
    $("trace-summary").textContent = problem.message;
  }
}

// --- the provider's faults and the payment breaker --------------------------------------

// The form shows what is in force, except while someone is editing it (`edited`: just applied).
async function pollProvider(edited = false) {
  clearTimeout(state.providerTimer);
  try {
    const provider = await api("/api/v1/admin/provider");
    const breaker = provider.breaker || "unknown";
    $("breaker").textContent = breaker;
    $("breaker").className = breaker;
    if (edited || !$("faults-form").contains(document.activeElement)) {
      $("outage").checked = provider.faults.outage;
      $("error-rate").value = provider.faults.error_rate;
      $("latency").value = provider.faults.latency_ms;
    }
  } catch (problem) {
    if (!state.token) return;
    $("breaker").textContent = `unknown (${problem.message})`;
  }
  if (state.token) state.providerTimer = setTimeout(pollProvider, ACTIVE_POLL_MS * 2);
}

async function applyFaults(event) {
  event.preventDefault();
  const faults = { outage: $("outage").checked, error_rate: Number($("error-rate").value),
    latency_ms: Number($("latency").value) };
  try {
    await api("/api/v1/admin/provider/faults", { method: "PUT", body: faults });
    say("Provider faults applied.", "info");
    await pollProvider(true);
  } catch (problem) {
    say(problem.message);
  }
}

async function faultsOff() {
  try {
    await api("/api/v1/admin/provider/faults", { method: "DELETE" });
    say("Provider faults off.", "info");
    await pollProvider(true);
  } catch (problem) {
    say(problem.message);
  }
}

// --- start ------------------------------------------------------------------------------

async function start() {
  $("login-form").addEventListener("submit", logIn);
  $("logout").addEventListener("click", () => logOut());
  $("order-form").addEventListener("submit", placeOrder);
  for (const button of document.querySelectorAll("[data-scenario]")) {
    button.addEventListener("click", () => scenario(button.dataset.scenario));
  }
  $("faults-form").addEventListener("submit", applyFaults);
  $("faults-off").addEventListener("click", faultsOff);
  state.features = await api("/api/v1/console");
  $("dashboard-links").replaceChildren(...Object.entries(state.features.dashboards).map(([name, url]) =>
    element("li", {}, element("a", { href: url, textContent: name, rel: "noopener" }))));
  $("login-hint").textContent = state.features.can_log_in
    ? "Demo users (development only): admin / admin-password sees everything; alice / alice-password and bob / bob-password are customers."
    : "Nobody can log in here: demo users exist in development only.";
  if (state.token) await enterShop().catch(() => logOut());
  else $("username").focus();
}

start().catch((problem) => say(problem.message));
