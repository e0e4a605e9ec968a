package kafkalab.host;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The client host JVM: reads JSON requests from stdin, one a line, and writes answers and events to
 * stdout, one a line. Nothing else may reach stdout, so System.out is pointed at stderr (the host log).
 * When stdin closes the server is gone: members leave briefly and the JVM halts, so no host outlives
 * its server, even one that was SIGKILLed.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    PrintStream protocol = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
    System.setOut(System.err);
    Out out = new Out(protocol);
    Host host = new Host(out);
    ObjectNode ready = Out.obj().put("pid", ProcessHandle.current().pid()).put("java", Runtime.version().feature());
    ready.set("compat", Compat.paths());
    out.event("ready", null, ready);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (!line.isBlank()) host.handle(line);
    }
    host.closeAll(2_000);
    out.drain(1_000);
    // halt, not exit: a vanished member's client, still waiting to be closed, must not hold the JVM up.
    Runtime.getRuntime().halt(0);
  }
}
