/*
 * What the hub's two pages (dashboard.html and compare.html) share of
 * their script: the accounts bar and the calls to the JSON API.
 * embed.cmake splices it into each page's script, inside the page's own
 * function, where the page names this file; it uses the page's $().
 */
/* Accounts (docs/accounts.md): who is logged in and a way out, or, on
 * a hub with no accounts, that the page is open. Without a session the
 * hub answers 401 and the page goes to its login. */
var session = { accounts: false };
function toLogin() { location.replace("/login"); }
function accessBar() {
  return fetch("/api/session", { cache: "no-store", credentials: "same-origin" }).then(function (r) {
    if (r.status === 401) { toLogin(); throw new Error("login required"); }
    return r.json();
  }).then(function (s) {
    var bar = $("access");
    session = s;
    bar.textContent = "";
    if (!s.accounts) {
      bar.className = "open";
      bar.textContent = "未设账户：本页无需登录，只读，默认仅限本机访问 · No accounts: this page needs no login; read-only, loopback only unless configured otherwise";
      return;
    }
    var who = document.createElement("span");
    var out = document.createElement("button");
    who.id = "access-user";
    who.textContent = s.name + " · " + s.region_name + " " + s.region + " · " + s.role;
    out.id = "logout";
    out.type = "button";
    out.textContent = "退出 Log out";
    out.addEventListener("click", function () {
      fetch("/api/logout", { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": s.csrf }, body: "{}" })
        .then(toLogin, toLogin);
    });
    bar.appendChild(who);
    bar.appendChild(out);
    if (s.role === "viewer") {
      Array.prototype.forEach.call(document.querySelectorAll("a.dl"), function (a) { a.style.display = "none"; });
    }
  });
}
function api(path, params) {
  var q = Object.keys(params).filter(function (k) { return params[k] !== null && params[k] !== undefined; })
    .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
  return fetch(path + (q ? "?" + q : ""), { cache: "no-store" }).then(function (r) {
    if (r.status === 401) toLogin();
    return r.json().catch(function () { return {}; }).then(function (body) {
      if (!r.ok) throw new Error(path + ": " + r.status + " " + (body.error || r.statusText));
      return body;
    });
  });
}
