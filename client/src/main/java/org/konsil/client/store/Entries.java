package org.konsil.client.store;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/** The plain content of a store file: named byte strings, written as count, then name and bytes. */
final class Entries {

  private Entries() {}

  static byte[] encode(Map<String, byte[]> entries) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(entries.size());
      for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
        out.writeUTF(entry.getKey());
        out.writeInt(entry.getValue().length);
        out.write(entry.getValue());
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return bytes.toByteArray();
  }

  static TreeMap<String, byte[]> decode(byte[] encoded) {
    TreeMap<String, byte[]> entries = new TreeMap<>();
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded))) {
      int count = in.readInt();
      for (int i = 0; i < count; i++) {
        String name = in.readUTF();
        int length = in.readInt();
        if (length < 0 || length > in.available()) {
          throw new IOException("entry " + name + " is cut off");
        }
        byte[] value = new byte[length];
        in.readFully(value);
        entries.put(name, value);
      }
    } catch (IOException e) {
      throw new LocalStoreException("A key store file is damaged", e);
    }
    return entries;
  }
}
