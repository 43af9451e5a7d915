//! The template reader's tests.

use super::*;

const SAMPLE: &str = r#"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: { Type: String, Default: dev }
  Origins: { Type: String, Default: "http://localhost:5173" }
Globals:
  Function:
    Timeout: 10
    LoggingConfig: { LogFormat: JSON, ApplicationLogLevel: INFO }
    Environment:
      Variables:
        TABLE_NAME: !Ref Table
        ORIGINS: !Ref Origins
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "shop-${Stage}"
      AttributeDefinitions:
        - { AttributeName: pk, AttributeType: S }
        - { AttributeName: sk, AttributeType: S }
      KeySchema:
        - { AttributeName: pk, KeyType: HASH }
        - { AttributeName: sk, KeyType: RANGE }
      GlobalSecondaryIndexes:
        - IndexName: byEmail
          KeySchema: [{ AttributeName: sk, KeyType: HASH }]
          Projection: { ProjectionType: KEYS_ONLY }
      TimeToLiveSpecification: { AttributeName: ttl, Enabled: true }
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "shop-${Stage}-uploads-${AWS::AccountId}"
  Keys:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: !Sub "shop-${Stage}-keys"
      GenerateSecretString:
        SecretStringTemplate: '{"kid": "k1"}'
        GenerateStringKey: key
        PasswordLength: 48
        ExcludePunctuation: true
  UploadsPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Uploads
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: s3:GetObject
            Resource: !Sub "${Uploads.Arn}/public/*"
  Sender:
    Type: AWS::SES::EmailIdentity
    Properties:
      EmailIdentity: shop@example.com
  Thing:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: thing-bin } }
    Properties:
      CodeUri: functions/thing/
      MemorySize: 256
      Environment:
        Variables:
          BUCKET_ARN: !GetAtt Uploads.Arn
          LONG_FORM: { "Fn::Sub": "${Uploads}/x" }
          TABLE_ARN: !Sub "${Table.Arn}/index/*"
          LITERAL: !Sub "${!NotAVariable}"
          SECRET: !Ref Keys
      Events:
        Get: { Type: HttpApi, Properties: { Path: "/things/{id}", Method: get } }
        Fallback: { Type: HttpApi }
        Upload:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: s3:ObjectCreated:*
            Filter: { S3Key: { Rules: [{ Name: prefix, Value: incoming/ }] } }
        Nightly: { Type: Schedule, Properties: { Schedule: "cron(0 2 * * ? *)" } }
"#;

fn parse(names: &NameOptions) -> Template {
    Template::parse(SAMPLE, names).unwrap_or_else(|e| panic!("{e:#}"))
}

fn names() -> NameOptions {
    NameOptions {
        stack_name: "local".into(),
        suffix: "-t1".into(),
        parameters: BTreeMap::from([("Origins".into(), "*".into())]),
        queue_endpoint: None,
    }
}

#[test]
fn tables_and_buckets_get_their_declared_names_with_the_run_suffix() {
    let template = parse(&names());
    assert_eq!(template.tables[0].name, "shop-dev-t1");
    assert_eq!(template.buckets[0].name, "shop-dev-uploads-123456789012-t1");
    let table = &template.tables[0];
    assert_eq!(table.key_schema[1], ("sk".to_owned(), "RANGE".to_owned()));
    assert_eq!(table.indexes[0].projection, "KEYS_ONLY");
    assert_eq!(table.ttl_attribute.as_deref(), Some("ttl"));
}

#[test]
fn environment_intrinsics_resolve_to_local_names() {
    let template = parse(&names());
    let env = &template.functions[0].environment;
    assert_eq!(env["TABLE_NAME"], "shop-dev-t1");
    assert_eq!(env["ORIGINS"], "*", "parameter override wins");
    assert_eq!(
        env["BUCKET_ARN"],
        "arn:aws:s3:::shop-dev-uploads-123456789012-t1"
    );
    assert_eq!(env["LONG_FORM"], "shop-dev-uploads-123456789012-t1/x");
    assert_eq!(
        env["TABLE_ARN"],
        "arn:aws:dynamodb:us-east-1:123456789012:table/shop-dev-t1/index/*"
    );
    assert_eq!(env["LITERAL"], "${NotAVariable}");
    assert_eq!(env["SECRET"], "shop-dev-keys-t1");
}

#[test]
fn functions_carry_settings_globals_and_events() {
    let template = parse(&names());
    let f = &template.functions[0];
    assert_eq!(f.binary, "thing-bin");
    assert_eq!(f.code_uri, "functions/thing");
    assert_eq!((f.timeout_secs, f.memory_mb), (10, 256));
    assert_eq!(f.log_format.as_deref(), Some("JSON"));
    assert_eq!(f.events.len(), 4);
    assert!(f.events.contains(&Event::Http {
        name: "Fallback".into(),
        method: None,
        path: None
    }));
    assert!(f.events.contains(&Event::S3 {
        name: "Upload".into(),
        bucket: "Uploads".into(),
        events: vec!["s3:ObjectCreated:*".into()],
        filter: vec![("prefix".into(), "incoming/".into())],
    }));
    assert_eq!(
        template.routes(),
        vec![("GET".into(), "/things/{id}".into(), "Thing".into())]
    );
}

#[test]
fn secrets_and_email_identities_are_read() {
    let template = parse(&names());
    assert_eq!(template.secrets[0].name, "shop-dev-keys-t1");
    assert_eq!(
        template.secrets[0].value,
        SecretValue::Generated {
            template: Some(r#"{"kid": "k1"}"#.into()),
            key: Some("key".into()),
            length: 48,
            exclude_punctuation: true,
        }
    );
    assert_eq!(
        template.email_identities,
        vec!["shop@example.com".to_owned()]
    );
}

#[test]
fn an_unknown_reference_is_named() {
    let broken = SAMPLE.replace("!Ref Origins", "!Ref Nowhere");
    let err = Template::parse(&broken, &names())
        .err()
        .map(|e| format!("{e:#}"))
        .unwrap_or_default();
    assert!(err.contains("Nowhere"), "{err}");
}

const CONDITIONAL: &str = r#"
Parameters:
  Stage: { Type: String, Default: prod }
  Hosts: { Type: String, Default: "a.example,b.example,c.example" }
Mappings:
  Sizes: { prod: { Memory: "1024" }, dev: { Memory: "128" } }
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev: { "Fn::Not": [{ Condition: IsProd }] }
  ProdInUsEast: !And [!Condition IsProd, !Equals [!Ref "AWS::Region", us-east-1]]
Resources:
  DevOnly:
    Type: AWS::S3::Bucket
    Condition: IsDev
    Properties: { BucketName: dev-only }
  Always:
    Type: AWS::S3::Bucket
    Properties: { BucketName: !If [IsProd, prod-bucket, dev-bucket] }
  Thing:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/thing/
      MemorySize: !FindInMap [Sizes, !Ref Stage, Memory]
      Environment:
        Variables:
          SECOND_HOST: !Select [1, !Split [",", !Ref Hosts]]
          MODE: { "Fn::If": [ProdInUsEast, east, elsewhere] }
          DEBUG: !If [IsDev, "1", !Ref "AWS::NoValue"]
"#;

#[test]
fn conditions_mappings_and_list_intrinsics_are_resolved() {
    let template =
        Template::parse(CONDITIONAL, &NameOptions::default()).unwrap_or_else(|e| panic!("{e:#}"));
    let buckets: Vec<&str> = template.buckets.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(buckets, ["prod-bucket"], "the dev-only bucket is left out");
    let thing = &template.functions[0];
    assert_eq!(thing.memory_mb, 1024);
    assert_eq!(thing.environment["SECOND_HOST"], "b.example");
    assert_eq!(thing.environment["MODE"], "east");
    assert!(
        !thing.environment.contains_key("DEBUG"),
        "NoValue removes the variable"
    );

    let mut dev = NameOptions::default();
    dev.parameters.insert("Stage".into(), "dev".into());
    let template = Template::parse(CONDITIONAL, &dev).unwrap_or_else(|e| panic!("{e:#}"));
    let mut buckets: Vec<&str> = template.buckets.iter().map(|b| b.name.as_str()).collect();
    buckets.sort_unstable();
    assert_eq!(buckets, ["dev-bucket", "dev-only"]);
    assert_eq!(template.functions[0].memory_mb, 128);
    assert_eq!(template.functions[0].environment["DEBUG"], "1");
    assert_eq!(template.functions[0].environment["MODE"], "elsewhere");
}

#[test]
fn what_the_runner_cannot_resolve_is_refused_by_name() {
    let cases = [
        (
            "!Select [1, !Split [\",\", !Ref Hosts]]",
            "!Select [7, !Split [\",\", !Ref Hosts]]",
            "index 7",
        ),
        (
            "!FindInMap [Sizes, !Ref Stage, Memory]",
            "!FindInMap [Sizes, test, Memory]",
            "Sizes.test.Memory",
        ),
        (
            "!Split [\",\", !Ref Hosts]]",
            "!Cidr [\"10.0.0.0/16\", 4, 8]]",
            "Cidr",
        ),
        (
            "IsDev: { \"Fn::Not\": [{ Condition: IsProd }] }",
            "IsDev: !Not [!Condition IsDev]",
            "refers to itself",
        ),
        ("Condition: IsDev", "Condition: IsStaging", "IsStaging"),
        (
            "!Equals [!Ref Stage, prod]",
            "!Select [0, [prod]]",
            "Select is not a condition function",
        ),
    ];
    for (from, to, expected) in cases {
        assert!(CONDITIONAL.contains(from), "{from}");
        let broken = CONDITIONAL.replace(from, to);
        let err = Template::parse(&broken, &NameOptions::default())
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(err.contains(expected), "{to}: {err}");
    }
}
