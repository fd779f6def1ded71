// Runs EPUBCheck on many EPUBs inside one JVM: exporter.validate.epub launches this with Java's
// source-file mode, so checking a hundred books costs one JVM start, not a hundred.
// Usage: java -cp epubcheck.jar EpubCheckBatch.java OUT_DIR LIST_FILE
// LIST_FILE holds one EPUB path a line (a file, not arguments, so a large corpus never hits ARG_MAX).
// For line number i (from 0) it writes OUT_DIR/i.json (EPUBCheck's own JSON report) and prints one line
// "@@exporter i <exit code> <milliseconds>" so the caller can time each file.
import com.adobe.epubcheck.tool.EpubChecker;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;

public class EpubCheckBatch {
    public static void main(String[] args) throws Exception {
        File out = new File(args[0]);
        List<String> books = Files.readAllLines(Paths.get(args[1]), StandardCharsets.UTF_8);
        for (int i = 0; i < books.size(); i++) {
            long started = System.nanoTime();
            int rc;
            try {
                String report = new File(out, i + ".json").getPath();
                rc = new EpubChecker().run(new String[] {books.get(i), "--json", report, "-q"});
            } catch (Throwable t) {
                System.err.println("@@exporter-crash " + i + " " + t);
                rc = 3;
            }
            long millis = (System.nanoTime() - started) / 1000000L;
            System.out.println("@@exporter " + i + " " + rc + " " + millis);
            System.out.flush();
        }
    }
}
