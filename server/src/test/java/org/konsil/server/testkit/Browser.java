package org.konsil.server.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import org.konsil.db.Folders;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real headless Chromium (Debian's chromium and chromedriver) pointed at a test server, with the
 * few steps the web UI tests repeat. Nothing is downloaded: both executables must be installed.
 */
public final class Browser implements AutoCloseable {

  public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  public static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final Path SCREENSHOTS = Path.of("..", "docs", "screenshots");

  private final ChromeDriver driver;
  private final String base;
  private final Path profile;
  private final List<String> consoleErrors = new ArrayList<>();

  private Browser(int port, int width, int height, boolean measuring) throws IOException {
    this("http://localhost:" + port, width, height, measuring);
  }

  private Browser(String base, int width, int height, boolean measuring) throws IOException {
    if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
      throw new IllegalStateException(
          "The browser tests need Debian's chromium and chromium-driver"
              + " (apt-get install -y chromium chromium-driver); .ci/run installs them.");
    }
    this.base = base;
    this.profile = Files.createTempDirectory("konsil-chromium");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--lang=de-DE",
        "--window-size=" + width + "," + height,
        "--user-data-dir=" + profile);
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    if (measuring) {
      // the DevTools protocol's Network events, read by downloadedBytes()
      logs.enable(LogType.PERFORMANCE, Level.ALL);
    }
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
            .usingAnyFreePort()
            .build();
    this.driver = new ChromeDriver(service, options);
  }

  /** A desktop-sized browser for the server. */
  public static Browser open(KonsilServer server) {
    return open(server, 1280, 860);
  }

  public static Browser open(KonsilServer server, int width, int height) {
    try {
      return new Browser(server.port(), width, height, false);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A desktop-sized browser for another origin that serves the web UI (the desktop companion on
   * {@code http://127.0.0.1:port}).
   */
  public static Browser at(String base) {
    try {
      return new Browser(base, 1280, 860, false);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A desktop-sized browser that records its network events for {@link #downloadedBytes()}. */
  public static Browser openMeasuring(KonsilServer server) {
    try {
      return new Browser(server.port(), 1280, 860, true);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The bytes the browser received over the network (headers and bodies as sent, after compression;
   * nothing for what came from its cache) from the test server since the last call, from the
   * DevTools protocol's Network events. Only for {@link #openMeasuring}.
   */
  public long downloadedBytes() {
    long bytes = 0;
    java.util.Set<String> konsil = new java.util.HashSet<>();
    for (LogEntry entry : driver.manage().logs().get(LogType.PERFORMANCE)) {
      io.vertx.core.json.JsonObject message =
          new io.vertx.core.json.JsonObject(entry.getMessage()).getJsonObject("message");
      io.vertx.core.json.JsonObject params = message.getJsonObject("params");
      // the browser's own pages (a new tab's chrome:// files) are not Konsil's
      if ("Network.requestWillBeSent".equals(message.getString("method"))
          && params.getJsonObject("request").getString("url").startsWith(base)) {
        konsil.add(params.getString("requestId"));
      }
      if ("Network.loadingFinished".equals(message.getString("method"))
          && konsil.contains(params.getString("requestId"))) {
        bytes += params.getNumber("encodedDataLength").longValue();
      }
    }
    return bytes;
  }

  public ChromeDriver driver() {
    return driver;
  }

  public Browser visit(String path) {
    driver.get(base + path);
    return this;
  }

  /** The visible element for the selector, waiting for it to appear. */
  public WebElement find(String css) {
    return until(
        () -> {
          for (WebElement element : driver.findElements(By.cssSelector(css))) {
            if (element.isDisplayed()) {
              return element;
            }
          }
          return null;
        },
        "a visible " + css);
  }

  /**
   * An attribute of the visible element; read again if the page re-rendered the element in between
   * (the room list and the history are rebuilt on every event).
   */
  public String attribute(String css, String name) {
    return until(
        () -> {
          try {
            return find(css).getAttribute(name);
          } catch (StaleElementReferenceException e) {
            return null;
          }
        },
        name + " of " + css);
  }

  /** The visible element's text, read again if the element was re-rendered meanwhile. */
  public String text(String css) {
    return until(
        () -> {
          try {
            return find(css).getText();
          } catch (StaleElementReferenceException e) {
            return null;
          }
        },
        "the text of " + css);
  }

  public List<WebElement> all(String css) {
    return driver.findElements(By.cssSelector(css));
  }

  public boolean present(String css) {
    return !driver.findElements(By.cssSelector(css)).isEmpty();
  }

  /** Waits until the element's text contains the fragment; answers the element's whole text. */
  public String waitForText(String css, String fragment) {
    return until(
        () -> {
          for (WebElement element : driver.findElements(By.cssSelector(css))) {
            String text = element.getText();
            if (text.contains(fragment)) {
              return text;
            }
          }
          return null;
        },
        "'" + fragment + "' in " + css);
  }

  /** Waits for the selector to match exactly this many elements. */
  public void waitForCount(String css, int count) {
    until(
        () -> driver.findElements(By.cssSelector(css)).size() == count ? Boolean.TRUE : null,
        count + " × " + css + " (now " + driver.findElements(By.cssSelector(css)).size() + ")");
  }

  public void waitForGone(String css) {
    until(
        () -> driver.findElements(By.cssSelector(css)).isEmpty() ? Boolean.TRUE : null,
        "no " + css);
  }

  public Browser type(String css, String text) {
    WebElement field = find(css);
    field.clear();
    field.sendKeys(text);
    return this;
  }

  public Browser press(String css, CharSequence... keys) {
    find(css).sendKeys(keys);
    return this;
  }

  /** Moves the focus with the Tab key alone until it is on the element (keyboard-only tests). */
  public Browser tabTo(String css) {
    for (int i = 0; i < 80; i++) {
      if (Boolean.TRUE.equals(js("return document.activeElement.matches(arguments[0])", css))) {
        return this;
      }
      // as a key press, not typed into the element: a file field takes typed text as a path
      new org.openqa.selenium.interactions.Actions(driver)
          .sendKeys(org.openqa.selenium.Keys.TAB)
          .perform();
    }
    throw new AssertionError("Tab never reached " + css);
  }

  public Browser click(String css) {
    until(
        () -> {
          try {
            find(css).click();
            return Boolean.TRUE;
          } catch (StaleElementReferenceException e) {
            return null;
          }
        },
        "clickable " + css);
    return this;
  }

  /** Logs in through the login form and waits for the room list. */
  public Browser login(KonsilServer.TestUser user) {
    forgetSession();
    visit("/");
    type("#login-email", user.email());
    type("#login-password", user.password());
    click("#login-submit");
    find(".room-list");
    return this;
  }

  /** A new person at the same browser: the refresh cookie (path /api/v1/auth) goes too. */
  public Browser forgetSession() {
    driver.executeCdpCommand("Network.clearBrowserCookies", java.util.Map.of());
    return this;
  }

  /** Opens a room from the room list and waits for its composer. */
  public Browser openRoom(java.util.UUID room) {
    click(".room-item[data-room='" + room + "']");
    find(".room[data-room='" + room + "'] #composer-text");
    return this;
  }

  /**
   * Waits until the page is connected again, pressing "retry now" whenever it waits for its next
   * attempt (as a user would), so the test does not depend on how far the backoff has grown.
   */
  public Browser reconnect() {
    until(
        () ->
            (Boolean)
                js(
                    "const banner = document.querySelector('.conn-banner');"
                        + " if (!banner || banner.hidden) return true;"
                        + " const retry = document.getElementById('retry-now');"
                        + " if (retry && !retry.hidden) retry.click();"
                        + " return null;"),
        "the page connected again");
    return this;
  }

  /** Types a message into the open room and sends it with Enter. */
  public Browser send(String text) {
    press("#composer-text", text, Keys.ENTER);
    return this;
  }

  public Object js(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(script, args);
  }

  public Object asyncJs(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeAsyncScript(script, args);
  }

  /**
   * What axe-core (run inside the page) finds wrong with the page as it is now, one line per rule
   * and impact: "serious color-contrast: [.hint], [.room-time]".
   */
  public List<String> accessibilityViolations() {
    com.deque.html.axecore.results.Results results =
        new com.deque.html.axecore.selenium.AxeBuilder().analyze(driver);
    if (results.isErrored()) {
      throw new IllegalStateException("axe-core failed: " + results.getErrorMessage());
    }
    List<String> found = new ArrayList<>();
    for (com.deque.html.axecore.results.Rule rule : results.getViolations()) {
      StringBuilder targets = new StringBuilder();
      for (com.deque.html.axecore.results.CheckedNode node : rule.getNodes()) {
        targets.append(targets.length() == 0 ? "" : ", ").append(node.getTarget());
      }
      found.add(rule.getImpact() + " " + rule.getId() + ": " + targets);
    }
    return found;
  }

  /** Saves what the browser shows as docs/screenshots/{name}.png for the README. */
  public void screenshot(String name) {
    try {
      Files.createDirectories(SCREENSHOTS);
      File shot = driver.getScreenshotAs(OutputType.FILE);
      Files.copy(
          shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Errors the page logged since the last call: script errors, refused Content-Security-Policy
   * loads, failed requests other than the expected problem answers.
   */
  public List<String> consoleErrors() {
    for (LogEntry entry : driver.manage().logs().get(LogType.BROWSER)) {
      // Problem answers (4xx) are handled by the page itself; the browser logs them anyway.
      boolean problemAnswer =
          entry.getMessage().matches("(?s).*the server responded with a status of 4\\d\\d.*");
      if (entry.getLevel().intValue() >= Level.SEVERE.intValue() && !problemAnswer) {
        consoleErrors.add(entry.getMessage());
      }
    }
    List<String> found = new ArrayList<>(consoleErrors);
    consoleErrors.clear();
    return found;
  }

  public <T> T until(java.util.function.Supplier<T> condition, String what) {
    return new WebDriverWait(driver, WAIT)
        .withMessage(() -> "waited " + WAIT.toSeconds() + " s for " + what)
        .ignoring(StaleElementReferenceException.class)
        .until(d -> condition.get());
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      Folders.deleteQuietly(profile);
    }
  }
}
