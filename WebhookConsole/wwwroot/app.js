window.webhookConsole = {
  getDarkMode: () => {
    const saved = localStorage.getItem("webhookConsole.dark");
    if (saved !== null) return saved === "true";
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  },
  setDarkMode: (dark) => localStorage.setItem("webhookConsole.dark", dark ? "true" : "false"),
  copyText: (text) => navigator.clipboard ? navigator.clipboard.writeText(text) : Promise.reject("clipboard unavailable")
};
