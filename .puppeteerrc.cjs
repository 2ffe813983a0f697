// The project renders with Debian's Chromium (/usr/bin/chromium, or GRADSHEET_CHROMIUM):
// Puppeteer's own browser download cannot reach its host here, so it is skipped for everyone.
module.exports = { skipDownload: true };
