package org.konsil.server.testkit;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.GreenMailUtil;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import java.util.ArrayList;
import java.util.List;

/** Reading what GreenMail received: the mails to one address, and their text. */
public final class Mailbox {

  private Mailbox() {}

  /** The mails received for an address, in order of arrival. */
  public static List<MimeMessage> to(GreenMailExtension mail, String address) {
    List<MimeMessage> found = new ArrayList<>();
    try {
      for (MimeMessage message : mail.getReceivedMessages()) {
        if (message.getAllRecipients()[0].toString().equals(address)) {
          found.add(message);
        }
      }
    } catch (MessagingException e) {
      throw new IllegalStateException(e);
    }
    return found;
  }

  /** Waits for the first mail to the address and answers its text. */
  public static String firstTextTo(GreenMailExtension mail, String address) {
    Waiting.until(() -> !to(mail, address).isEmpty(), "no mail to " + address);
    return text(to(mail, address).get(0));
  }

  /** A mail's text with quoted-printable soft breaks and escapes undone. */
  public static String text(MimeMessage message) {
    return GreenMailUtil.getBody(message).replace("=\r\n", "").replace("=3D", "=");
  }
}
